import type { Clock } from '../clock';
import type { Config } from '../config/schema';
import type { Logger } from '../logger';
import type { BlobStore } from '../stores/blob/types';
import type { MetaStore } from '../stores/meta/types';
import type { AttemptLimiter } from './attempts';
import type { UploadSignals } from './stream';

/** Everything the sweeper works with; passed in, never imported. */
export interface StoreDeps {
	config: Config;
	clock: Clock;
	meta: MetaStore;
	blobs: BlobStore;
	logger: Logger;
}

/** Everything the use cases work with. */
export interface ShareDeps extends StoreDeps {
	/** Limits wrong read tokens (metadata, claim). Not optional: no caller can forget it. */
	attempts: AttemptLimiter;
	/** Wakes blob reads waiting on an upload on this instance (stream.ts); without it they only poll. */
	uploads?: UploadSignals;
}

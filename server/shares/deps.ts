import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { BlobStore } from '../stores/blob/types';
import type { MetaStore } from '../stores/meta/types';
import type { AttemptLimiter } from './attempts';

/** Everything the use cases and the sweeper work with; passed in, never imported. */
export interface ShareDeps {
	config: Config;
	clock: Clock;
	meta: MetaStore;
	blobs: BlobStore;
	logger: Logger;
	/** Limits wrong read tokens (metadata, claim); none in the sweeper. */
	attempts?: AttemptLimiter;
}

import { describe, expect, it } from 'vitest';
import { shareMessage, shareResponse, sharedItems } from '../../../src/lib/service-worker/sw-share';
import type { SharedItems } from '../../../src/lib/service-worker/sw-protocol';

const ORIGIN = 'https://sealdrop.example';

/** Asks the worker side for the shared items, as the upload page does, over a real MessageChannel. */
function take(): Promise<SharedItems | null> {
	const { port1, port2 } = new MessageChannel();
	const answer = new Promise<SharedItems | null>((resolve) => (port1.onmessage = (event) => resolve(event.data as SharedItems | null)));
	expect(shareMessage({ type: 'share-take' }, [port2])).toBe(true);
	return answer.finally(() => port1.close());
}

function shareRequest(form: FormData): Request {
	return new Request(`${ORIGIN}/_download/share`, { method: 'POST', body: form });
}

describe('Web Share Target, worker side', () => {
	it('turns title, text and link into one note, without repeating a link the text already holds', () => {
		const form = new FormData();
		form.set('title', ' Trip ');
		form.set('text', 'Look: https://example.org/a');
		form.set('url', 'https://example.org/a');
		form.append('files', new File(['x'], 'a.txt'));
		form.append('files', new File([], '')); // what a form sends when no file was chosen
		const items = sharedItems(form);
		expect(items.note).toBe('Trip\nLook: https://example.org/a');
		expect(items.files.map((file) => file.name)).toEqual(['a.txt']);
	});

	it('answers a share POST with 303 to the upload page and hands the files over once', async () => {
		const form = new FormData();
		form.append('files', new File(['first'], 'one.bin'));
		form.append('files', new File(['second'], 'two.bin'));
		form.set('text', 'hello');
		const url = new URL(`${ORIGIN}/_download/share`);
		const response = await shareResponse(url, shareRequest(form))!;
		expect(response.status).toBe(303);
		expect(response.headers.get('location')).toBe(`${ORIGIN}/?shared`);

		const items = await take();
		expect(items?.note).toBe('hello');
		expect(await Promise.all(items!.files.map((file) => file.text()))).toEqual(['first', 'second']);
		// Taken: the worker holds nothing any more.
		expect(await take()).toBeNull();
	});

	it('leaves other requests alone and sends a GET of the share URL to the start page', async () => {
		expect(shareResponse(new URL(`${ORIGIN}/_download/abc`), new Request(`${ORIGIN}/_download/abc`))).toBeNull();
		const response = await shareResponse(new URL(`${ORIGIN}/_download/share`), new Request(`${ORIGIN}/_download/share`))!;
		expect([response.status, response.headers.get('location')]).toEqual([303, `${ORIGIN}/`]);
		expect(shareMessage({ type: 'register' }, [])).toBe(false);
	});
});

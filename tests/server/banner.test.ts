import { describe, expect, it } from 'vitest';
import { listeningBanner } from '../../server/start';

describe('the start-up line', () => {
	it('names the address actually bound, not "localhost"', () => {
		expect(listeningBanner({ host: '127.0.0.1', publicUrl: undefined }, { url: 'http://127.0.0.1:8080', port: 8080 })).toBe(
			'Sealdrop listening on http://127.0.0.1:8080'
		);
		expect(listeningBanner({ host: '::1', publicUrl: undefined }, { url: 'https://[::1]:8443', port: 8443 })).toBe(
			'Sealdrop listening on https://[::1]:8443'
		);
	});

	it('says when every address is bound, and how to reach it from this machine', () => {
		expect(listeningBanner({ host: '0.0.0.0', publicUrl: undefined }, { url: 'http://127.0.0.1:8080', port: 8080 })).toBe(
			'Sealdrop listening on all IPv4 addresses, port 8080 (http://127.0.0.1:8080 from here)'
		);
	});

	it('adds the public URL that links are made for', () => {
		expect(
			listeningBanner({ host: '127.0.0.1', publicUrl: 'https://share.example.org' }, { url: 'http://127.0.0.1:8080', port: 8080 })
		).toBe('Sealdrop listening on http://127.0.0.1:8080; links use https://share.example.org');
	});
});

import { createServer as createHttpServer, request as httpRequest, type ServerResponse } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of the server that cuts the connection of the first blob download after
 * `cutAfter` response bytes: a real dropped connection, as on a train going into a tunnel.
 * `beforeCut`, if given, is awaited with the download paused there (the test acts meanwhile).
 */
export async function startCutProxy(
	target: URL,
	cutAfter: number,
	beforeCut?: () => Promise<void>
): Promise<{ url: string; cuts: number; close(): Promise<void> }> {
	const state = { cuts: 0 };
	const sockets = new Set<Socket>();
	const server: Server = createServer((client) => {
		const upstream = connect(Number(target.port), target.hostname);
		sockets.add(client).add(upstream);
		let watching = false;
		let forwarded = 0;
		client.on('data', (data) => {
			if (state.cuts === 0 && /^GET \/api\/v1\/shares\/[^/]+\/blob /m.test(data.toString('latin1'))) watching = true;
			upstream.write(data);
		});
		upstream.on('data', (data) => {
			if (watching) {
				forwarded += data.byteLength;
				if (forwarded > cutAfter) {
					state.cuts++;
					watching = false;
					upstream.pause();
					void (beforeCut?.() ?? Promise.resolve()).then(() => {
						client.destroy();
						upstream.destroy();
					});
					return;
				}
			}
			client.write(data);
		});
		const end = () => {
			client.destroy();
			upstream.destroy();
		};
		client.on('error', end).on('close', end);
		upstream.on('error', end).on('close', end);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		get cuts() {
			return state.cuts;
		},
		close: () =>
			new Promise((resolve) => {
				for (const s of sockets) s.destroy();
				server.close(() => resolve());
			})
	};
}

/** What the HTTP proxy does with a request: pass it on, never answer it, or cut its connection. */
export type ProxyAction = 'forward' | 'hold' | 'reset';

/**
 * An HTTP proxy in front of the server. `intercept` decides per request (it may act first, say
 * restart the server): held requests have their bodies read and dropped and are never answered
 * (nothing reaches the server) until `release()`; reset ones lose their connection. Unlike
 * page.route, it sees every request of the page's workers, whichever moment they start at.
 */
export async function startHttpProxy(
	target: URL,
	intercept: (method: string, path: string) => ProxyAction | Promise<ProxyAction>
): Promise<{ url: string; answered: string[]; release(): void; close(): Promise<void> }> {
	let holding = true;
	const held = new Set<ServerResponse>();
	/** `status method path` of every answer passed back, in order. */
	const answered: string[] = [];
	const server = createHttpServer((req, res) => {
		void (async () => {
			const action = await intercept(req.method ?? 'GET', req.url ?? '/');
			if (action === 'reset') return req.socket.destroy();
			if (action === 'hold' && holding) {
				held.add(res);
				req.resume();
				return;
			}
			const upstream = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
				answered.push(`${answer.statusCode} ${req.method} ${req.url}`);
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			});
			upstream.on('error', () => res.destroy());
			req.pipe(upstream);
		})();
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		answered,
		release() {
			holding = false;
			for (const res of held) res.destroy();
			held.clear();
		},
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}

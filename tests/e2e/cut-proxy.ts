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

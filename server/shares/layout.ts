/** How a share's ciphertext is cut into parts (docs/API.md, "create"). */
export function partCount(size: number, partSize: number): number {
	return Math.ceil(size / partSize);
}

/** Length of part `n`: `partSize`, except the last, which holds the rest. */
export function partLength(size: number, partSize: number, n: number): number {
	return Math.min(partSize, size - n * partSize);
}

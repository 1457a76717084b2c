/**
 * What a request says about who sends it, as plain values: the use cases in this folder decide
 * with these and never see an HTTP framework (server/http/credentials.ts reads them off a request).
 */
export interface RequestCredentials {
	/** The token of an `Authorization: Bearer` header, if one was sent. */
	bearerToken: string | undefined;
	/** The session cookie's token, if any. */
	sessionToken: string | undefined;
	origin: RequestOrigin;
}

/** The headers a same-origin (CSRF) check needs. */
export interface RequestOrigin {
	method: string;
	secFetchSite: string | undefined;
	origin: string | undefined;
	host: string | undefined;
}

/** A new login session: the route hands its token to the browser as a cookie. */
export interface NewSession {
	token: string;
	maxAgeSeconds: number;
	expiresAt: number;
}

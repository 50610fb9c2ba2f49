/** How many messages a robot session may have waiting on the server (no ZeroMQ here: the CLI reads the default). */

/** Messages of any kind a session may have waiting (beyond that they are refused as `overloaded`). */
export const MAX_INBOX = 64;
/** The most `obs` a robot may be allowed to have waiting: half the inbox, so the newest is never refused. */
export const MAX_BACKLOG_LIMIT = MAX_INBOX / 2;
/** Default number of `obs` a robot may have waiting before the oldest is dropped. */
export const DEFAULT_MAX_BACKLOG = 8;

// Package props reads Java .properties files (the format of Apache RocketMQ's broker.conf and
// namesrv.conf) and applies them to Go config structs through `prop:"javaKey"` struct tags.
//
// Unlike java.util.Properties it remembers where each key came from, so every error names the
// file and line, and it reports all errors of a file at once (joined), not only the first:
//
//	broker.conf:7: unknown key "listenPrt"
//	broker.conf:9: flushDiskType: bad value "SYNC": want one of ASYNC_FLUSH, SYNC_FLUSH
//
// Syntax follows java.util.Properties#load: '#' or '!' comments, key and value separated by
// '=', ':' or whitespace, a trailing backslash continues the logical line, and the escapes
// \t \n \r \f \uXXXX. Values are trimmed of surrounding white space, as RocketMQ does.
package props

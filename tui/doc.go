// Package tui is `mq tui`: a k9s-like terminal UI over the admin protocol, built on bubbletea v2.
//
// Every screen is a view (view.go): a model of its own behind a small interface — crumb,
// load, actions, body, move, selected — kept on the root Model's stack (breadcrumbs, esc, `-`).
// A view's load runs off the UI goroutine against a Source (*admin.Admin in production, a
// fake in tests) and returns a result whose apply stores the data on the UI goroutine; nothing
// blocks in Update. Lists embed tableView (regex filter with `!` inverse, sort, cursor,
// scroll, wide rows); details embed paneView. A view file registers its `:` command
// (register) and nothing else knows it: adding a view is one file.
//
//	┌ mq tui │ ctx prod │ ns 127.0.0.1:9876 │ refreshed 12:00:00 │ every 2s │ READ-ONLY │ 2/3 brokers answered ┐
//	│ Groups > Group(billing) [4]                                                  │  title
//	│ total lag 2  time lag 1m30s …                                                │  text
//	│ TOPIC  BROKER  QUEUE  BROKER-OFFSET …                                        │  table
//	└ <r>reset offsets <s>skip backlog … (or the prompt, the status, the error)    ┘  footer
//
// Changes (reset, skip, resend, create, delete) are actions with a write description:
// Model.act refuses them all in read-only mode, in one place; the others open a confirm
// dialog showing exactly what will change. Rows and text are made by the pure functions of
// tui/render (tested on their own), styles live in tui/theme and the common keys in
// tui/keys. The TUI never writes to stdout or stderr besides the screen; it logs through the
// injected slog.Logger (a file, in cmd/mq).
package tui

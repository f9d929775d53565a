// Package tui is `mq tui`: a k9s-like terminal UI over the admin protocol, built on bubbletea v2.
//
// The root Model keeps a stack of pages (brokers, topics, topic, groups, group, messages,
// message). Every page is loaded by a command that asks a Source (*admin.Admin in production,
// a fake in tests) and answers with a loadedMsg; nothing blocks in Update. Rows are made by the
// pure functions of tui/render, styles live in tui/theme and key bindings in tui/keys.
//
//	┌ mq tui │ ns 127.0.0.1:9876 │ refreshed 12:00:00 │ every 2s │ 2/3 brokers answered ┐  header
//	│ Topics > Topic(Orders) [8]                                                   │  title
//	│ route: …                                                                     │  text
//	│ BROKER  QUEUE  MIN  MAX …                                                    │  table
//	└ <:>view </>filter <enter>open <esc>back <?>help <q>quit   (or the error)     ┘  footer
//
// `:` opens the command prompt (:brokers :topics :groups :msgs TOPIC), `/` filters rows, enter
// opens, esc goes back, q quits. The TUI never writes to stdout or stderr besides the screen;
// it logs through the injected slog.Logger (a file, in cmd/mq).
package tui

// Package listener opens and configures the sockets of a socket unit (or adopts inherited ones).
//
// Work in progress (issue 4).
package listener

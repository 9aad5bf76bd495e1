// Package forwarder is the proxy core behind sockvisor proxy.
//
// Work in progress (issue 3).
package forwarder

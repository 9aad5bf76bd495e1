// Package supervisor is socket activation: sockvisor run and sockvisor activate.
//
// Work in progress (issue 5).
package supervisor

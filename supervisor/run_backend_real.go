//go:build linux

package supervisor

import (
	"context"
	"errors"
)

// realBackend wires the supervisor to listener, exec and forwarder.
type realBackend struct {
	backend
}

// newRealBackend prepares the process side (the reaper) and adopts inherited fds.
func newRealBackend(ctx context.Context, cfg Config) (*realBackend, error) {
	return nil, errors.ErrUnsupported
}

func (b *realBackend) close() {}

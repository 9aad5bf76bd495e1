package testbin

import (
	"bytes"
	"sync"
)

// Output collects what a process (or a logger) writes while a test reads it: Write and String
// may run concurrently.
//
//	var out testbin.Output
//	cmd.Stdout, cmd.Stderr = &out, &out
//	… strings.Contains(out.String(), "listening") …
type Output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

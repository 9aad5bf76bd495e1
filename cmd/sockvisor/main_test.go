package main

import (
	"testing"

	"github.com/sockvisor/sockvisor/internal/testbin"
)

// TestMain builds the sockvisor binary once for the integration tests of every command.
func TestMain(m *testing.M) { testbin.Main(m) }

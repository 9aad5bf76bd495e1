package forwarder

import (
	"testing"

	"github.com/sockvisor/sockvisor/internal/testbin"
)

// TestMain builds the sockvisor binary once for the interop and robustness tests.
func TestMain(m *testing.M) { testbin.Main(m) }

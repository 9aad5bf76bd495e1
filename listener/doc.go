// Package listener opens and configures the sockets, FIFOs, special files, netlink sockets,
// message queues and USB FunctionFS endpoints of a socket unit the way systemd does, or adopts
// the matching fds this process inherited through LISTEN_FDS; it re-applies a unit's options
// to accepted connections and reads every applied option back from the kernel.
//
// One table (socketOptions) holds a row per socket option: the unit key it reads, the sockets
// it applies to, its level and option number, whether a failure is fatal. The same row sets
// the option when listening, re-applies it to accepted connections and reads it back.
//
// Typical use:
//
//	inh, err := listener.Inherit(os.Getenv) // before anything else opens fds
//	…
//	set, err := listener.Open(ctx, unit, listener.OpenOptions{Inherited: inh, Log: log})
//	if err != nil {
//		return err // "echo.socket: Failed to create listening socket (127.0.0.1:80): bind: …"
//	}
//	defer set.Close() // removes nodes and queues with RemoveOnStop=yes
//	cmd.ExtraFiles = set.Files()
//
// and, for each connection accepted on an Accept=yes unit:
//
//	err := listener.ApplyConnectionOptions(unit, connFile)
package listener

//go:build linux

package listener

import (
	"context"
	"errors"
	"log/slog"
	"os"

	"github.com/sockvisor/sockvisor/socketunit"
)

// symlinkTarget is the node Symlinks= point to: the unit's only file-system node (a FIFO or a
// UNIX socket path), or "" when it has none or more than one (systemd's
// socket_find_symlink_target).
func symlinkTarget(u *socketunit.Socket) string {
	if len(u.Symlinks) == 0 {
		return ""
	}
	found := ""
	for i := range u.Listen {
		if p := nodePath(&u.Listen[i]); p != "" {
			if found != "" {
				return ""
			}
			found = p
		}
	}
	return found
}

// makeSymlinks creates every Symlinks= entry pointing at target, with parent directories; an
// existing entry is replaced only with RemoveOnStop=yes, and failures are warnings, as in
// systemd.
func makeSymlinks(ctx context.Context, u *socketunit.Socket, target string, th *fsThread, log *slog.Logger) {
	for _, link := range u.Symlinks {
		mkdirParents(link, u.DirectoryMode, th)
		err := symlinkIdempotent(target, link)
		if errors.Is(err, os.ErrExist) && u.RemoveOnStop {
			if err = os.Remove(link); err == nil {
				err = os.Symlink(target, link)
			}
		}
		if err != nil {
			log.WarnContext(ctx, "failed to create symlink, ignoring", "unit", u.Name, "link", link, "target", target, "err", err)
		}
	}
}

// symlinkIdempotent creates link → target; a link that already points at target is fine.
func symlinkIdempotent(target, link string) error {
	err := os.Symlink(target, link)
	if errors.Is(err, os.ErrExist) {
		if cur, rerr := os.Readlink(link); rerr == nil && cur == target {
			return nil
		}
	}
	return err
}

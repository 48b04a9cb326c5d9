package jail

import (
	"syscall"
	"time"
)

// ctimeOf is the inode change time of an lstat result.
func ctimeOf(st *syscall.Stat_t) time.Time { return time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec)) }

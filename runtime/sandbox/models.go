package sandbox

// The modelled programs register themselves with the model package.
import (
	_ "github.com/iocage/iocage/runtime/sandbox/jails"
	_ "github.com/iocage/iocage/runtime/sandbox/netmodel"
	_ "github.com/iocage/iocage/runtime/sandbox/sysmodel"
	_ "github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

package sandbox

// The modelled programs register themselves with the model package; what
// they must release between tests is wired here, where all are known.
import (
	"github.com/iocage/iocage/runtime/sandbox/jails"
	"github.com/iocage/iocage/runtime/sandbox/model"
	"github.com/iocage/iocage/runtime/sandbox/netmodel"
	"github.com/iocage/iocage/runtime/sandbox/sysmodel"
	"github.com/iocage/iocage/runtime/sandbox/zfscompat"
)

func init() {
	OnTeardown(jails.Teardown)
	OnTeardown(sysmodel.Teardown) // after the jails: their mounts go once no process uses them
	OnTeardown(zfscompat.Teardown)
	zfscompat.LookupJail = func(tx *model.Tx, idOrName string) (string, int, bool) {
		r, ok := jails.Lookup(tx, idOrName)
		if !ok {
			return "", 0, false
		}
		return r.Name, r.JID, true
	}
	netmodel.LookupJail = func(tx *model.Tx, nameOrJID string) (netmodel.Jail, bool) {
		r, ok := jails.Lookup(tx, nameOrJID)
		if !ok || !r.Running() {
			return netmodel.Jail{}, false
		}
		return netmodel.Jail{Name: r.Name, JID: r.JID, VNet: r.VNet}, true
	}
}

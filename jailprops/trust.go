package jailprops

// The host-facing properties: what an import from another host does not
// take on trust (see Property.HostFacing). They are the hooks jail(8) or
// iocage run on the host, the delegated dataset, and every jail(8)
// parameter that gives the jail's root more than the defaults allow.
var hostFacing = []string{
	"exec_prestart", "exec_poststart", "exec_prestop", "exec_poststop",
	"jail_zfs", "jail_zfs_dataset",
	"devfs_ruleset", "enforce_statfs", "children_max", "securelevel",
	"allow_set_hostname", "allow_sysvipc", "allow_raw_sockets", "allow_chflags",
	"allow_mount", "allow_mount_devfs", "allow_mount_nullfs", "allow_mount_procfs",
	"allow_mount_tmpfs", "allow_mount_zfs", "allow_quotas", "allow_socket_af",
}

func init() {
	for _, n := range hostFacing {
		p, ok := byName[n]
		if !ok {
			panic("jailprops: host-facing property " + n + " is not in the table")
		}
		p.HostFacing = true
	}
}

// HostFacingProperties returns the host-facing properties in table order.
func HostFacingProperties() []*Property {
	var out []*Property
	for _, p := range table {
		if p.HostFacing {
			out = append(out, p)
		}
	}
	return out
}

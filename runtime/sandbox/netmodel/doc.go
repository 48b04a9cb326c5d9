// Package netmodel models the network side of the sandbox's FreeBSD host:
// ifconfig(8) and route(8), answering exactly the command lines iocage sends
// a FreeBSD 14 host, with the interfaces and routing tables of every vnet
// kept in the sandbox state (section "net").
//
// Nothing here touches the Linux machine's interfaces or routes: an epair,
// a bridge or a default route is a record in the state file, shaped and
// checked as the FreeBSD kernel would (names, units, MTU ranges, bridge
// membership, address conflicts, reachable gateways). The host starts as a
// small FreeBSD box: em0 (192.168.1.2/24) in bridge0, an empty bridge1,
// lo0, and a default route to 192.168.1.1. Each vnet jail gets its own lo0 when first used;
// interfaces moved into a jail return to the host when it is removed.
//
// Both programs are jail aware: `jexec JAIL ifconfig ...` acts on that
// jail's vnet.
package netmodel

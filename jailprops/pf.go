package jailprops

import "github.com/iocage/iocage/builtins/pf"

var rdrValues = pf.RdrValues

// checkNatInterface accepts "auto" (the default route's interface, found
// at start) or an interface name pf accepts.
func checkNatInterface(p *Property, v string) error {
	if v == "auto" {
		return nil
	}
	if err := pf.CheckInterface(v); err != nil {
		return bad(p, v, err.Error())
	}
	return nil
}

// checkRdr accepts what pf.ParseRedirects reads.
func checkRdr(p *Property, v string) error {
	if _, err := pf.ParseRedirects(v); err != nil {
		return bad(p, v, err.Error())
	}
	return nil
}

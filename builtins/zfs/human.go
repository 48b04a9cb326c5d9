package zfs

import (
	"fmt"
	"strconv"
)

// HumanSize formats a byte count the way zfs does without -p: binary
// units, at most three significant digits and five characters
// ("0B", "512B", "96K", "1.50M", "23.5G", "100G").
func HumanSize(n uint64) string {
	const units = "BKMGTPE"
	i := 0
	for v := n; v >= 1024 && i < len(units)-1; v /= 1024 {
		i++
	}
	if i == 0 {
		return strconv.FormatUint(n, 10) + "B"
	}
	div := uint64(1) << (10 * i)
	if n%div == 0 {
		return fmt.Sprintf("%d%c", n/div, units[i])
	}
	f := float64(n) / float64(div)
	for prec := 2; prec >= 0; prec-- {
		s := fmt.Sprintf("%.*f%c", prec, f, units[i])
		if len(s) <= 5 {
			return s
		}
	}
	return fmt.Sprintf("%.0f%c", f, units[i])
}

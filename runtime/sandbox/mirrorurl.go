package sandbox

// MirrorURL is the base URL of the sandbox's release mirror, "" when setup
// has not made one. The release module takes it as the host's default
// mirror (release.MirrorSource), so fetch downloads from 127.0.0.1.
func (b *Backend) MirrorURL() string {
	if b.cfg.Mirror == "" {
		return ""
	}
	return "http://" + b.cfg.Mirror
}

package zfscompat

// For the tests of package zfscompat_test: a token whose fields they
// change, to prove that send -t refuses what does not match.
type ResumePoint = resumePoint

var (
	EncodeToken = encodeToken
	DecodeToken = decodeToken
)

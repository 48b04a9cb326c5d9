package zfs

// ReceiveUndo lets the external tests replay the step of a receive.
var ReceiveUndo = receiveUndo

module github.com/iocage/iocage

go 1.26.8

require github.com/mistifyio/go-zfs/v3 v3.0.1

require github.com/google/uuid v1.2.0 // indirect

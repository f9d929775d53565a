package main
import (
 _ "github.com/spf13/cobra"
 _ "github.com/apache/rocketmq-client-go/v2"
 _ "go.uber.org/goleak"
 _ "github.com/magiconair/properties"
 _ "golang.org/x/sys/unix"
 _ "github.com/rogpeppe/go-internal/testscript"
)
func main(){}

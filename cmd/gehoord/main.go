// Command gehoord runs the Gehoord complaints desk.
package main

import (
	"os"

	"github.com/gehoord/gehoord/server/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

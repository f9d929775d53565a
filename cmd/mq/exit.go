package main

import "os"

// exitWith ends the process with code; testscript's in-process commands need it.
func exitWith(code int) { os.Exit(code) }

package protocol

import "strconv"

// Client and broker versions travel as the ordinal of Java's MQVersion.Version enum (the
// "version" field of every command, ConnectionSet entries, brokerVersion). VersionName turns
// an ordinal back into the enum's name, as MQVersion.getVersionDesc does.

// versionsHead are the first 16 ordinals of MQVersion.Version, the irregular 3.0.0 names.
var versionsHead = [...]string{"V3_0_0_SNAPSHOT", "V3_0_0_ALPHA1", "V3_0_0_BETA1", "V3_0_0_BETA2",
	"V3_0_0_BETA3", "V3_0_0_BETA4", "V3_0_0_BETA5", "V3_0_0_BETA6_SNAPSHOT", "V3_0_0_BETA6",
	"V3_0_0_BETA7_SNAPSHOT", "V3_0_0_BETA7", "V3_0_0_BETA8_SNAPSHOT", "V3_0_0_BETA8",
	"V3_0_0_BETA9_SNAPSHOT", "V3_0_0_BETA9", "V3_0_0_FINAL"}

// versionRuns lists, after the head, every major.minor of the enum with its first and last
// patch; each patch has a _SNAPSHOT name followed by the release name.
var versionRuns = [...]struct{ major, minor, first, last int }{
	{3, 0, 1, 15}, {3, 1, 0, 9}, {3, 2, 0, 9}, {3, 3, 1, 9}, {3, 4, 1, 9}, {3, 5, 1, 9}, {3, 6, 1, 9},
	{3, 7, 1, 9}, {3, 8, 1, 9}, {3, 9, 1, 9},
	{4, 0, 0, 9}, {4, 1, 0, 9}, {4, 2, 0, 9}, {4, 3, 0, 9}, {4, 4, 0, 9}, {4, 5, 0, 9}, {4, 6, 0, 9},
	{4, 7, 0, 9}, {4, 8, 0, 9}, {4, 9, 0, 9},
	{5, 0, 0, 9}, {5, 1, 0, 9}, {5, 2, 0, 9}, {5, 3, 0, 9}, {5, 4, 0, 9}, {5, 5, 0, 9}, {5, 6, 0, 9},
	{5, 7, 0, 9}, {5, 8, 0, 9}, {5, 9, 0, 9},
}

// versionHigher is the enum's last value; getVersionDesc answers it for any larger ordinal.
const versionHigher = "HIGHER_VERSION"

// VersionName returns the MQVersion.Version name of ordinal v ("V4_5_2" for 317, "V5_3_3"
// for 479). Ordinals past the table are HIGHER_VERSION, as in Java; a negative one is its
// number.
func VersionName(v int) string {
	if v < 0 {
		return strconv.Itoa(v)
	}
	if v < len(versionsHead) {
		return versionsHead[v]
	}
	v -= len(versionsHead)
	for _, r := range versionRuns {
		n := 2 * (r.last - r.first + 1)
		if v < n {
			name := "V" + strconv.Itoa(r.major) + "_" + strconv.Itoa(r.minor) + "_" + strconv.Itoa(r.first+v/2)
			if v%2 == 0 {
				name += "_SNAPSHOT"
			}
			return name
		}
		v -= n
	}
	return versionHigher
}

package broker

import "errors"

// Errors returned by the broker and its managers. They are translated to response codes
// only in the processors.
var (
	// ErrConfig is wrapped by every configuration problem Validate reports.
	ErrConfig = errors.New("broker: bad config")
	// ErrInvalidTopic is returned for a topic name that is empty, too long or has
	// characters outside [%|a-zA-Z0-9_-].
	ErrInvalidTopic = errors.New("broker: invalid topic name")
	// ErrInvalidGroup is returned for a consumer or producer group name that is empty, too
	// long or has characters outside [%|a-zA-Z0-9_-].
	ErrInvalidGroup = errors.New("broker: invalid group name")
	// ErrSystemTopic is returned when an admin request would change or delete a system topic.
	ErrSystemTopic = errors.New("broker: system topic")
	// ErrTopicNotExist is returned for an unknown topic that could not be auto-created.
	ErrTopicNotExist = errors.New("broker: topic does not exist")
	// ErrGroupNotExist is returned for an unknown subscription group when auto-creation is off.
	ErrGroupNotExist = errors.New("broker: subscription group does not exist")
	// ErrCorruptFile is returned (wrapped) when a metadata JSON file does not decode.
	ErrCorruptFile = errors.New("broker: corrupt metadata file")
	// ErrNotWritable is returned when the timer or a delay level would deliver to a topic
	// that is not writable.
	ErrNotWritable = errors.New("broker: topic not writable")
	// ErrShutdown is returned by Start and Serve after Shutdown.
	ErrShutdown = errors.New("broker: shut down")
)

package broker

import "github.com/logbus/logbus/zmtp"

// ArchiverProperty is the ZMTP metadata property (RFC 37) by which a
// subscriber of the archive endpoint declares itself an archiver and
// gives its name, such as "filesink:lab-7:/var/log/logbus". The broker
// then serves it without loss and keeps its queue, under that name,
// while it is away. The "X-" prefix is what libzmq requires of its own
// ZMQ_METADATA properties, so pyzmq archivers can declare it too.
const ArchiverProperty = "X-Archiver"

// archiverDelivery serves the archive's subscribers: a named archiver
// without loss, under its name (the PLAIN user when the archive requires
// a login, else its declared name); anyone else (a dashboard or tail
// subscribed to the archive, an unauthenticated or hostile peer) like a
// dashboard, lossily.
func archiverDelivery(queueMsgs, hold int, login bool) func(*zmtp.PeerInfo) zmtp.Delivery {
	return func(p *zmtp.PeerInfo) zmtp.Delivery {
		name, _ := p.Property(ArchiverProperty)
		if login {
			if name == "" {
				return zmtp.Delivery{}
			}
			name = p.User
		}
		if name == "" {
			return zmtp.Delivery{}
		}
		return zmtp.Delivery{NoDrop: true, Heir: name, QueueMsgs: queueMsgs, QueueBytes: hold}
	}
}

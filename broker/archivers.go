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

// archivers counts the named archivers connected.
func archivers(st zmtp.Stats) int {
	n := 0
	for _, p := range st.Peers {
		if p.NoDrop {
			n++
		}
	}
	return n
}

// NotReady returns why the broker is not ready to take records without
// loss, one reason per entry, or nothing: with the archive enabled, no
// named archiver connected (records are only kept for one, for
// ArchiveGrace); forwarding waiting for an archiver, its queue or what is
// kept for it being at ArchiveHold (publishers are held back, dashboards
// with them).
func (b *Broker) NotReady() []string {
	if b.archive == nil {
		return nil
	}
	var r []string
	st := b.archive.Stats()
	if archivers(st) == 0 {
		r = append(r, "no archiver connected to the archive endpoint")
	}
	if st.Waiting {
		r = append(r, "forwarding waits for an archiver (its queue is full, or what is kept for it is at --archive-hold): publishers and dashboards are held back")
	}
	return r
}

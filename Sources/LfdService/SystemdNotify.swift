#if canImport(Glibc)
import Glibc
#endif
import CsfCompat
import CSys

/// sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET.
public enum SystemdNotify {
    public static func send(_ state: String) {
        guard let path = Environment.value("NOTIFY_SOCKET"), !path.isEmpty else { return }
        UnixDatagram.send(Array(state.utf8), to: path)
    }
}

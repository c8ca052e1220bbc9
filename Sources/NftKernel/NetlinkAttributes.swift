#if canImport(Glibc)
import Glibc
#endif
import CNftShim
import CsfCompat

/// The attributes of one netlink message (or one nested attribute) by type, gathered through libmnl's
/// parser so that lengths and alignment are checked by libmnl, not by hand.
struct NetlinkAttributes {
    private(set) var byType: [UInt16: UnsafePointer<nlattr>] = [:]

    private final class Box {
        var byType: [UInt16: UnsafePointer<nlattr>] = [:]
    }

    private static let collect: mnl_attr_cb_t = { attr, data in
        guard let attr, let data else { return MNL_CB_OK }
        let box = Unmanaged<Box>.fromOpaque(data).takeUnretainedValue()
        box.byType[mnl_attr_get_type(attr)] = attr
        return MNL_CB_OK
    }

    init(message nlh: UnsafePointer<nlmsghdr>, headerSize: Int) {
        let box = Box()
        mnl_attr_parse(nlh, UInt32(headerSize), Self.collect, Unmanaged.passUnretained(box).toOpaque())
        byType = box.byType
    }

    init(nested attr: UnsafePointer<nlattr>) {
        let box = Box()
        mnl_attr_parse_nested(attr, Self.collect, Unmanaged.passUnretained(box).toOpaque())
        byType = box.byType
    }

    subscript(_ type: UInt32) -> UnsafePointer<nlattr>? { byType[UInt16(type)] }

    /// Every attribute nested in `attr`, in order (lists repeat one type, so `byType` would keep only the last).
    static func forEachNested(_ attr: UnsafePointer<nlattr>, _ body: (UnsafePointer<nlattr>) -> Void) {
        withoutActuallyEscaping(body) { body in
            let box = ListBox(body)
            mnl_attr_parse_nested(attr, { attr, data in
                guard let attr, let data else { return MNL_CB_OK }
                Unmanaged<ListBox>.fromOpaque(data).takeUnretainedValue().body(attr)
                return MNL_CB_OK
            }, Unmanaged.passUnretained(box).toOpaque())
        }
    }

    private final class ListBox {
        let body: (UnsafePointer<nlattr>) -> Void
        init(_ body: @escaping (UnsafePointer<nlattr>) -> Void) { self.body = body }
    }

    func nested(_ type: UInt32) -> NetlinkAttributes? { self[type].map { NetlinkAttributes(nested: $0) } }

    func bytes(_ type: UInt32) -> UnsafeRawBufferPointer? {
        guard let a = self[type] else { return nil }
        return UnsafeRawBufferPointer(start: mnl_attr_get_payload(a), count: Int(mnl_attr_get_payload_len(a)))
    }

    func u8(_ type: UInt32) -> UInt8? { self[type].map { mnl_attr_get_u8($0) } }
    func be16(_ type: UInt32) -> UInt16? { self[type].map { UInt16(bigEndian: mnl_attr_get_u16($0)) } }
    func be32(_ type: UInt32) -> UInt32? { self[type].map { UInt32(bigEndian: mnl_attr_get_u32($0)) } }
}

import CsfCompat

/// What follows an address in lfd's lines, alerts and csf.deny comments: csf's `iplookup` parenthesis,
/// `(CN/China/-)` with CC_LOOKUPS, or `(-)` when nothing is known. The service passes the real one (IPLookup);
/// the decisions that word messages stay pure.
public typealias AddressNote = @Sendable (IPAddress) -> String

public let unresolvedNote: AddressNote = { _ in "(-)" }

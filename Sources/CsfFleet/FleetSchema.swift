/// The fleet's tables, created and migrated by the tool itself (`csf --cluster init`, or any node whose role may).
/// Each step runs once, in order, in one transaction under an advisory lock, and records its number in
/// `nftcsf_schema`; a node refuses to follow a database whose schema is newer than it knows.
///
/// Why the database stamps and numbers rows itself:
/// - `origin` is set to `session_user` by a trigger, so a node cannot speak in another node's name; trust
///   (CLUSTER_RECVFROM) is decided on that stamp.
/// - ids are drawn inside the insert under a transaction-scoped advisory lock, so they commit in id order:
///   a follower that has seen id N can never later meet a smaller id committed after it (a plain bigserial
///   commits out of order under concurrent writers, and "catch up from the last id" would skip rows).
enum FleetSchema {
    static let current = 2
    static let channel = "nftcsf_decisions"
    /// The advisory lock key for migrations (ids use a second one).
    static let migrationLock: Int64 = 0x6e66_7463_7366_0001

    static let steps: [[String]] = [
        // 1: decisions, nodes, replies
        [
            """
            CREATE TABLE nftcsf_decisions (
                id bigint PRIMARY KEY,
                action text NOT NULL CHECK (action IN ('deny','tempdeny','allow','tempallow','remove','allowremove',
                                                       'ignore','ignoreremove','ping','grep')),
                target text NOT NULL DEFAULT '' CHECK (length(target) <= 64),
                ports text NOT NULL DEFAULT '' CHECK (length(ports) <= 200),
                direction text NOT NULL DEFAULT 'in' CHECK (direction IN ('in','out','inout')),
                expires_at timestamptz,
                reason text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
                origin text NOT NULL DEFAULT session_user,
                recipients text[] NOT NULL DEFAULT '{}',
                created_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE SEQUENCE nftcsf_decisions_id_seq OWNED BY nftcsf_decisions.id",
            """
            CREATE FUNCTION nftcsf_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(7955173762283208706);
                NEW.id := nextval('nftcsf_decisions_id_seq');
                NEW.origin := session_user;
                NEW.created_at := now();
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER nftcsf_stamp BEFORE INSERT ON nftcsf_decisions FOR EACH ROW EXECUTE FUNCTION nftcsf_stamp()",
            """
            CREATE FUNCTION nftcsf_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('nftcsf_decisions', (SELECT max(id)::text FROM new_rows));
                RETURN NULL;
            END $$
            """,
            """
            CREATE TRIGGER nftcsf_notify AFTER INSERT ON nftcsf_decisions REFERENCING NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION nftcsf_notify()
            """,
            """
            CREATE TABLE nftcsf_nodes (
                name text PRIMARY KEY,
                started_at timestamptz NOT NULL DEFAULT now(),
                last_seen timestamptz NOT NULL DEFAULT now(),
                last_applied bigint NOT NULL DEFAULT 0,
                applied_at timestamptz,
                version text NOT NULL DEFAULT ''
            )
            """,
            "ALTER TABLE nftcsf_nodes ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY nftcsf_nodes_read ON nftcsf_nodes FOR SELECT USING (true)",
            "CREATE POLICY nftcsf_nodes_own ON nftcsf_nodes FOR ALL USING (name = session_user) WITH CHECK (name = session_user)",
            """
            CREATE TABLE nftcsf_replies (
                decision_id bigint NOT NULL,
                node text NOT NULL DEFAULT session_user,
                reply text NOT NULL CHECK (length(reply) <= 65536),
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (decision_id, node)
            )
            """,
            "ALTER TABLE nftcsf_replies ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY nftcsf_replies_read ON nftcsf_replies FOR SELECT USING (true)",
            "CREATE POLICY nftcsf_replies_own ON nftcsf_replies FOR INSERT WITH CHECK (node = session_user)",
            // Pruning deletes, which members may not do: a function of the owner's that removes only what no node
            // will need again (ended temporary decisions, pings, greps) and never a row a node seen in the last
            // keep_days has not applied yet. Permanent decisions stay: a new node replays them to join.
            """
            CREATE FUNCTION nftcsf_prune(keep_days integer) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
                SET search_path = pg_catalog, public AS $$
            DECLARE
                floor_id bigint;
                gone bigint;
            BEGIN
                SELECT coalesce(min(last_applied), 0) INTO floor_id FROM nftcsf_nodes
                    WHERE last_seen > now() - make_interval(days => keep_days);
                DELETE FROM nftcsf_decisions WHERE id <= floor_id
                    AND created_at < now() - make_interval(days => keep_days)
                    AND ((expires_at IS NOT NULL AND expires_at < now()) OR action IN ('ping','grep'));
                GET DIAGNOSTICS gone = ROW_COUNT;
                DELETE FROM nftcsf_replies WHERE created_at < now() - interval '1 day';
                RETURN gone;
            END $$
            """,
            "REVOKE ALL ON nftcsf_decisions, nftcsf_nodes, nftcsf_replies FROM PUBLIC",
            "GRANT SELECT, INSERT ON nftcsf_decisions, nftcsf_replies TO PUBLIC",
            "GRANT SELECT, INSERT, UPDATE ON nftcsf_nodes TO PUBLIC",
            "GRANT USAGE ON SEQUENCE nftcsf_decisions_id_seq TO PUBLIC",
            "GRANT SELECT ON nftcsf_schema TO PUBLIC",
        ],
        // 2: the master's configuration push (csf's C, FILE and RESTART)
        [
            "ALTER TABLE nftcsf_decisions DROP CONSTRAINT nftcsf_decisions_action_check",
            """
            ALTER TABLE nftcsf_decisions ADD CONSTRAINT nftcsf_decisions_action_check CHECK (action IN ('deny','tempdeny','allow',
                'tempallow','remove','allowremove','ignore','ignoreremove','ping','grep','config','file','restart'))
            """,
            "ALTER TABLE nftcsf_decisions ADD COLUMN payload text NOT NULL DEFAULT '' CHECK (length(payload) <= 1100000)",
        ],
    ]
}

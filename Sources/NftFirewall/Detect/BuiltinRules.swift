/// The login-failure families of csf's lfd (reference §6.6) as data. Every pattern is anchored at the start of
/// the line with the program's fixed prefix, and where attacker-controlled text (user names, helo strings,
/// commands) can sit before the address, the address is taken from the structure the program itself writes
/// last (a greedy group before it), so an injected "from 1.2.3.4" never wins.
public enum BuiltinRules {
    struct Spec {
        var name: String
        var app: String
        var text: String
        var trigger: String
        var logKeys: [String]
        var literals: [String]
        var pattern: String
        var ipForm: FailureRule.IPForm = .plain
    }

    static let ssh = "Failed SSH login from"
    static let pop3 = "Failed POP3 login from"
    static let imap = "Failed IMAP login from"
    static let ftp = "Failed FTP login from"
    static let smtp = "Failed SMTP AUTH login from"
    static let web = "Failed web page login from"

    static let webmail = "Failed webmail login from"
    static let reject = "SMTP rejections for"
    /// Apache's client field: `1.2.3.4`, `1.2.3.4:port`, `2001:db8::1` or `[2001:db8::1]:port`.
    static let apacheClient = "\\[(client|remote) (?<ip>[][0-9A-Fa-f:.]+)\\]"
    static let apachePrefix = "^\\[[^]]+\\] \\[([a-z_0-9]*:)?(error|warn|info|notice|crit)\\] (\\[pid [0-9]+(:tid [0-9]+)?\\] )?"

    static let sshMethods = "(password|none|keyboard-interactive(/pam)?|hostbased|unknown)"

    static let specs: [Spec] = [
        // sshd. The strong form ends with "port N sshN": the last such structure is sshd's own.
        Spec(name: "sshd-failed", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["Failed "],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%(error: )?Failed \(sshMethods) for (invalid user |illegal user )?(?<account>.*) from %IP% port [0-9]+ ssh[12](: .*)?( \\[preauth\\])?$"),
        Spec(name: "sshd-failed-old", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["Failed "],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%(error: )?Failed \(sshMethods) for (invalid user |illegal user )?(?<account>.*) from %IP%( port [0-9]+)?( \\[preauth\\])? *$"),
        Spec(name: "sshd-invalid-user", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["user"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%(Invalid|Illegal) user (?<account>.*) from %IP%( port [0-9]+)?( \\[preauth\\])? *$"),
        Spec(name: "sshd-not-allowed", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: [" not allowed because "],
             pattern: "%SYSLOG(\\[?sshd(-[a-z]+)?\\]?)%User (?<account>[^ ]+) from %IP% not allowed because [a-zA-Z' ]+$"),
        Spec(name: "sshd-no-identification", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["identification string"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%Did not receive identification string from %IP%( port [0-9]+)?$"),
        Spec(name: "sshd-refused-connect", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["refused connect from"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%refused connect from ([^ ]* )?\\(?%IP%\\)?$"),
        Spec(name: "sshd-max-attempts", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["maximum authentication attempts"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%error: maximum authentication attempts exceeded for (invalid user )?(?<account>.*) from %IP% port [0-9]+ ssh[12]( \\[preauth\\])?$"),
        Spec(name: "sshd-pam-failure", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["error: PAM: "],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%error: PAM: ([Aa]uthentication (failure|error)|User not known to the underlying authentication module) for (illegal user )?(?<account>.*) from %IP%( via [0-9A-Fa-f:.]+)? *$"),
        Spec(name: "sshd-root-refused", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["ROOT LOGIN REFUSED FROM"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%ROOT LOGIN REFUSED FROM %IP%( port [0-9]+)?( \\[preauth\\])?$"),

        // Courier, UW and Dovecot POP3/IMAP.
        Spec(name: "courier-pop3", app: "pop3d", text: pop3, trigger: "LF_POP3D", logKeys: ["POP3D_LOG"], literals: ["LOGIN FAILED"],
             pattern: "%SYSLOG((courier-)?(pop3d|pop3d-ssl|pop3s|courierpop3login))%LOGIN FAILED, (user=(?<account>.*)|method=[A-Z0-9-]+), ip=\\[%IP%\\](, port=\\[[0-9]+\\])?$"),
        Spec(name: "courier-imap", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG"], literals: ["LOGIN FAILED"],
             pattern: "%SYSLOG((courier-)?(imapd|imapd-ssl|imaps|courierimaplogin))%LOGIN FAILED, (user=(?<account>.*)|method=[A-Z0-9-]+), ip=\\[%IP%\\](, port=\\[[0-9]+\\])?$"),
        Spec(name: "uw-pop3", app: "pop3d", text: pop3, trigger: "LF_POP3D", logKeys: ["POP3D_LOG"], literals: ["Login "],
             pattern: "%SYSLOG(ipop3d)%Login (failed|excessive login failures|disabled) user=(?<account>[^ ]*) auth=[^ ]* host=.* \\[%IP%\\] *$"),
        Spec(name: "uw-imap", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG"], literals: ["Login "],
             pattern: "%SYSLOG(imapd)%Login (failed|excessive login failures|disabled) user=(?<account>[^ ]*) auth=[^ ]* host=.* \\[%IP%\\] *$"),
        Spec(name: "dovecot-pop3", app: "pop3d", text: pop3, trigger: "LF_POP3D", logKeys: ["POP3D_LOG"], literals: ["pop3-login", " attempts"],
             pattern: dovecot("pop3")),
        Spec(name: "dovecot-imap", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG"], literals: ["-login", " attempts"],
             pattern: dovecot("(imap|managesieve)")),

        // FTP.
        Spec(name: "pure-ftpd", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["Authentication failed for user"],
             pattern: "%SYSLOG(pure-ftpd)%\\([^ @]*@(?<ip>[0-9A-Fa-f_:.]+)\\) \\[WARNING\\] Authentication failed for user \\[(?<account>.*)\\]$",
             ipForm: .underscores),
        Spec(name: "vsftpd-log", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["FAIL LOGIN: Client"],
             pattern: "^(%TS%( [^ ]+)? vsftpd(\\[[0-9]+\\])?: |[A-Z][a-z]{2} [A-Z][a-z]{2} +[0-9]{1,2} [0-9:]{8} [0-9]{4} \\[pid [0-9]+\\] )\\[(?<account>.*)\\] FAIL LOGIN: Client \"%IP%\"$"),
        Spec(name: "vsftpd-pam", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["authentication failure;", "rhost="],
             pattern: "%SYSLOG(vsftpd(\\(pam_unix\\))?)%(pam_unix\\([a-z_-]+:auth\\): |\\(pam_unix\\) )?authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=[^ ]* rhost=%IP%( +user=(?<account>[^ ]*))? *$"),
        Spec(name: "proftpd", app: "ftpd", text: ftp, trigger: "LF_FTPD", logKeys: ["FTPD_LOG"], literals: ["proftpd"],
             pattern: "%SYSLOG(proftpd)%[^ ]+ \\([^[ ]*\\[%IP%\\]\\)( -)?:? (USER (?<account>[^ :]+):? )?.*(\\(Login failed\\)|no such user|SECURITY VIOLATION).*$"),

        // SMTP AUTH.
        Spec(name: "exim-auth", app: "smtpauth", text: smtp, trigger: "LF_SMTPAUTH", logKeys: ["SMTPAUTH_LOG"], literals: ["authenticator failed for"],
             pattern: "^%TS%( [^ ]+ exim\\[[0-9]+\\]:)?( \\[[0-9]+\\])? [A-Za-z0-9_-]+ authenticator failed for (.*) \\[%IP%\\](:[0-9]+)?( I=\\[[0-9A-Fa-f:.]+\\]:[0-9]+)?: 535 Incorrect authentication data( \\(set_id=(?<account>.*)\\))?(: [0-9]+ Time\\(s\\))?$"),
        Spec(name: "postfix-sasl", app: "smtpauth", text: smtp, trigger: "LF_SMTPAUTH", logKeys: ["SMTPAUTH_LOG"], literals: ["SASL"],
             pattern: "%SYSLOG(postfix(-[a-z]+)?(/[a-z0-9-]+)?/smtpd)%warning: [^[ ]*\\[%IP%\\](:[0-9]+)?: SASL ([A-Za-z0-9-]+) authentication failed(: .*)?$"),
        Spec(name: "smtp-auth-daemon", app: "smtpauth", text: smtp, trigger: "LF_SMTPAUTH", logKeys: ["SMTPAUTH_LOG"], literals: ["password incorrect"],
             pattern: "%SYSLOG(smtp_auth)%FAILED: (?<account>[^ ]+) - password incorrect from [^ ]* \\[%IP%\\]$"),
        Spec(name: "exim-syntax-dropped", app: "eximsyntax", text: "Exim syntax errors from", trigger: "LF_EXIMSYNTAX",
             logKeys: ["SMTPAUTH_LOG"], literals: ["too many syntax or protocol errors"],
             pattern: "^%TS%( \\[[0-9]+\\])? SMTP call from (.* )?\\[%IP%\\](:[0-9]+)?( I=\\[[0-9A-Fa-f:.]+\\]:[0-9]+)? dropped: too many syntax or protocol errors.*$"),
        Spec(name: "exim-syntax-auth", app: "eximsyntax", text: "Exim syntax errors from", trigger: "LF_EXIMSYNTAX",
             logKeys: ["SMTPAUTH_LOG"], literals: ["AUTH command used when not advertised"],
             pattern: "^%TS%( \\[[0-9]+\\])? SMTP protocol error in \"(.*)\" H=(.* )?\\[%IP%\\](:[0-9]+)?( I=\\[[0-9A-Fa-f:.]+\\]:[0-9]+)? AUTH command used when not advertised$"),

        // Web logins.
        Spec(name: "apache22-auth", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: ["] user "],
             pattern: "^\\[[^]]+\\] \\[error\\] \\[client %IP%\\] user (?<account>[^:]*)( not found|: authentication failure for \"[^\"]*\"): .*$"),
        Spec(name: "apache24-auth", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: ["] AH"],
             pattern: "^\\[[^]]+\\] \\[[a-z_0-9]*:error\\] \\[pid [0-9]+(:tid [0-9]+)?\\] \\[(client|remote) %IP%\\] AH[0-9]+: user (?<account>[^:]*)( not found|: authentication failure for \"[^\"]*\"): .*$",
             ipForm: .trailingPort),
        Spec(name: "nginx-auth", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: [", client: "],
             pattern: "^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \\[error\\] [0-9]+#[0-9]+: \\*[0-9]+ (user \"(?<account>.*)\":? (password mismatch|was not found in \"[^\"]*\")|no user/password was provided for basic authentication), client: %IP%, server: [^,]*(, request: .*)?$"),
        Spec(name: "mod_security", app: "mod_security", text: "mod_security triggered by", trigger: "LF_MODSEC", logKeys: ["MODSEC_LOG"],
             literals: ["ModSecurity:"],
             pattern: "^\\[[^]]+\\] \\[([a-z_0-9]*:)?error\\] (\\[pid [0-9]+(:tid [0-9]+)?\\] )?\\[(client|remote) %IP%\\] (\\[client [0-9A-Fa-f:.]+\\] )?ModSecurity: .*Access denied.*$",
             ipForm: .trailingPort),
        Spec(name: "suhosin", app: "suhosin", text: "Suhosin triggered by", trigger: "LF_SUHOSIN", logKeys: ["SUHOSIN_LOG"], literals: ["ALERT - "],
             pattern: "^%TS%( [^ ]+)? +(suhosin|lighttpd|php[a-z0-9-]*|httpd)(\\[[0-9]+\\])?: (\\([^)]*\\) FastCGI-stderr: )?ALERT - (.*)\\(attacker '%IP%', file '[^']*'(, line [0-9]+)?\\)$"),
        Spec(name: "bind", app: "bind", text: "bind triggered by", trigger: "LF_BIND", logKeys: ["BIND_LOG"], literals: [" denied"],
             pattern: "^(%TS%( [^ ]+)?( named(\\[[0-9]+\\])?:)?( security: info:)? |[0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9:.]+ (security: info: )?)client (@0x[0-9a-f]+ )?%IP%#[0-9]+( \\([^ )]*\\))?:( view [^ :]+:)? (update|zone transfer|query( \\(cache\\))?) '[^' ]*' denied( \\([^)]*\\))?$"),
        Spec(name: "webmin", app: "webmin", text: "Failed Webmin login from", trigger: "LF_WEBMIN", logKeys: ["WEBMIN_LOG"],
             literals: [" login as "],
             pattern: "%SYSLOG(webmin)%(Invalid|Non-existent) login as (?<account>.*) from %IP% *$"),

        // Beyond csf: more sshd, Dovecot auth back-ends, generic PAM.
        Spec(name: "sshd-auth-fail-disconnect", app: "sshd", text: ssh, trigger: "LF_SSHD", logKeys: ["SSHD_LOG"], literals: ["Auth fail"],
             pattern: "%SYSLOG(sshd(-[a-z]+)?)%(error: )?Received disconnect from %IP%( port [0-9]+)?: ?3: .*: Auth fail( \\[preauth\\])?$"),
        Spec(name: "dovecot-plaintext", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG", "POP3D_LOG"], literals: ["-login: "],
             pattern: "^(%TS%( [^ ]+)? (dovecot(\\[[0-9]+\\])?: )?|%TS% )(pop3|imap|managesieve)-login(\\[[0-9]+\\])?: (Info: )?.*\\((tried to use (disabled|disallowed) [a-z]+ auth|proxy dest auth failed)\\): (user=<(?<account>.*)>, )?(method=[A-Za-z0-9-]+, )?rip=%IP%(, lip=[0-9A-Fa-f:.]+)?(, .*|: .*)?$"),
        Spec(name: "dovecot-auth-backend", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG", "POP3D_LOG"], literals: ["("],
             pattern: "^(%TS%( [^ ]+)? |%TS% )(dovecot(\\[[0-9]+\\])?: ){0,2}(auth|auth-worker)(\\([^)]*\\))?(<[0-9]+>)?: (Info: )?(conn unix:auth-worker \\(uid=[0-9]+\\): auth-worker<[0-9]+>: )?(pam|sql|ldap|passwd-file|passwd|shadow|checkpassword|bsdauth)\\((?<account>.*),%IP%(,<[^>]*>|,)?\\): (pam_authenticate\\(\\) failed|unknown user|[Pp]assword mismatch|invalid credentials).*$"),
        Spec(name: "dovecot-auth-sql", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG", "POP3D_LOG"], literals: ["auth("],
             pattern: "^%TS%( [^ ]+)? auth\\((?<account>.*),%IP%,[a-z:]*\\)<[^>]*>: (Info: )?[a-z-]+: ([Pp]assword mismatch|unknown user).*$"),
        Spec(name: "pam-unix", app: "pam", text: "Failed PAM login from", trigger: "LF_PAM",
             logKeys: ["SSHD_LOG", "FTPD_LOG", "POP3D_LOG", "IMAPD_LOG", "SU_LOG", "SUDO_LOG"],
             literals: ["authentication failure; "],
             pattern: "^%TS%( [^ ]+)? (dovecot-auth|auth|proftpd|pure-ftpd|daemon|login|su|sudo|cyrus|imapd|pop3d|xinetd|webmin|cpanel)(\\[[0-9]+\\])?: (pam_unix\\(([a-z0-9_.-]+:)?auth\\): |\\(pam_unix\\) )?authentication failure; logname=[^ ]* uid=[0-9]* euid=[0-9]* tty=[^ ]* ruser=[^ ]*( rhost=[^ ]+)* rhost=%IP%( +user=[^ ]*( rhost=[^ ]+)*)? *$"),
        Spec(name: "uw-imap-override", app: "imapd", text: imap, trigger: "LF_IMAPD", logKeys: ["IMAPD_LOG"], literals: ["override of user"],
             pattern: "%SYSLOG(imapd)%Failed [a-z]+ override of user=(?<account>[^ ]*) +host=.* \\[%IP%\\] *$"),

        // Beyond csf: SMTP rejections (Postfix), off unless LF_SMTPREJECT is set.
        Spec(name: "postfix-reject", app: "smtpreject", text: reject, trigger: "LF_SMTPREJECT", logKeys: ["SMTPAUTH_LOG"], literals: ["reject: "],
             pattern: "%SYSLOG(postfix(-[a-z]+)?(/[a-z0-9-]+)?/smtpd)%([0-9A-Za-z]+|NOQUEUE): (milter-)?reject: (RCPT|VRFY|EHLO|HELO|DATA|BDAT|CONNECT|MAIL|ETRN|END-OF-MESSAGE) from [^[ ]*\\[%IP%\\](:[0-9]+)?: [45][0-9][0-9] .*$"),
        Spec(name: "postfix-pipelining", app: "smtpreject", text: reject, trigger: "LF_SMTPREJECT", logKeys: ["SMTPAUTH_LOG"],
             literals: ["improper command pipelining"],
             pattern: "%SYSLOG(postfix(-[a-z]+)?(/[a-z0-9-]+)?/smtpd)%improper command pipelining after [A-Z-]+ from [^[ ]*\\[%IP%\\](:[0-9]+)?:?( .*)?$"),

        // Beyond csf: Apache's other authentication failures, 403s and 404s, web mail and panels.
        Spec(name: "apache-auth", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: ["[client "],
             pattern: apachePrefix + apacheClient + " (AH[0-9]+: )?((Digest: )?user (?<account>[^:`']*):? (not found|authentication failure for|authorization failure for|password mismatch)|Authorization of user [^ ]* to access .* failed, reason: |(Digest: )?user `[^']*' in realm `[^']*' not found|(Digest: )?invalid qop .* received|(Digest: )?invalid nonce .* received - (length is not|user attempted time travel)|(Digest: )?realm mismatch - got |(Digest: )?unknown algorithm .* received|client used wrong authentication scheme: |Hostname [^ ]+ provided via SNI|No hostname was provided via SNI).*$",
             ipForm: .trailingPort),
        Spec(name: "apache-404", app: "apache404", text: "Apache 404 hit from", trigger: "LF_APACHE_404", logKeys: ["HTACCESS_LOG"],
             literals: ["[client "],
             pattern: apachePrefix + apacheClient + " (AH[0-9]+: )?(File does not exist: [^[]*|(stderr from [^ ]*: )?script not found or unable to stat(: [^[]*)?|Got error 'Primary script unknown(\\\\n)?')$",
             ipForm: .trailingPort),
        Spec(name: "nginx-pam", app: "htpasswd", text: web, trigger: "LF_HTACCESS", logKeys: ["HTACCESS_LOG"], literals: ["PAM: user"],
             pattern: "^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8} \\[error\\] [0-9]+#[0-9]+: \\*[0-9]+ PAM: user '(?<account>.*)' - not authenticated: [A-Za-z ]+, client: %IP%, server: [^,]*(, request: .*)?$"),
        Spec(name: "roundcube-imap", app: "webmail", text: webmail, trigger: "LF_WEBMAIL", logKeys: ["WEBMAIL_LOG"], literals: ["Login failed for"],
             pattern: "^(%TS%( [^ ]+)? roundcube(\\[[0-9]+\\])?: |\\[[^]]+\\]: )(<[a-z0-9]+> )?IMAP Error: Login failed for (?<account>.*) from %IP%((\\(X-Real-IP: [^)]*\\))?\\. AUTHENTICATE .*)?$"),
        Spec(name: "roundcube-login", app: "webmail", text: webmail, trigger: "LF_WEBMAIL", logKeys: ["WEBMAIL_LOG"], literals: ["Failed login for"],
             pattern: "^\\[[^]]+\\]: (<[a-z0-9]+> )?Failed login for (?<account>.*) from %IP% in session [a-z0-9]+ \\(error: -?[0-9]+\\)$"),
        Spec(name: "squirrelmail", app: "webmail", text: webmail, trigger: "LF_WEBMAIL", logKeys: ["WEBMAIL_LOG"], literals: ["[LOGIN_ERROR]"],
             pattern: "^[0-9/]{10} [0-9:]{8} \\[LOGIN_ERROR\\] (?<account>.*) \\([^)]*\\) from %IP%: Unknown user or password incorrect\\.$"),
        Spec(name: "phpmyadmin", app: "webmail", text: webmail, trigger: "LF_WEBMAIL", logKeys: ["WEBMAIL_LOG"], literals: ["user denied:"],
             pattern: "%SYSLOG(phpMyAdmin)%user denied: (?<account>.*) \\([a-z-]+\\) from %IP%$"),
        Spec(name: "cpanel", app: "cpanel", text: "Failed cPanel login from", trigger: "LF_CPANEL", logKeys: ["CPANEL_LOG"],
             literals: ["FAILED LOGIN"],
             pattern: "^\\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [+-][0-9]{4}\\] info \\[(cpaneld|whostmgrd|webmaild)\\] %IP% - (?<account>[^ \"]*) \"[^\"]*\" FAILED LOGIN (cpaneld|whostmgrd|webmaild): .*$"),
        // The other panels' own failure logs (one failure per line).
        Spec(name: "interworx", app: "interworx", text: "Failed InterWorx login from", trigger: "LF_INTERWORX",
             logKeys: ["INTERWORX_LOG"], literals: ["W "],   // " NW " or " SW ": keeps the pattern off unrelated lines
             pattern: "^[0-9][0-9:/.-]+ [0-9:.]+ (NW|SW) %IP% (?<account>[^ ]+)( .*)?$"),
        Spec(name: "cwp", app: "cwp", text: "Failed CWP login from", trigger: "LF_CWP", logKeys: ["CWP_LOG"],
             literals: ["Failed Login from:"],
             pattern: "^[^ ]+ +[^ ]+ +(?<account>[^ ]+) +Failed Login from: +%IP% on: .*$"),
        Spec(name: "vesta", app: "vesta", text: "Failed VestaCP login from", trigger: "LF_VESTA", logKeys: ["VESTA_LOG"],
             literals: ["failed to login"],
             pattern: "^[^ ]+ +[^ ]+ +(?<account>[^ ]+) +%IP% failed to login.*$"),
        Spec(name: "directadmin", app: "directadmin", text: "Failed DirectAdmin login from", trigger: "LF_DIRECTADMIN", logKeys: ["DIRECTADMIN_LOG"],
             literals: ["failed login attempt"],
             pattern: "^[0-9]{4}:[0-9]{2}:[0-9]{2}-[0-9:]{8}: '%IP%' (?<count>[0-9]+) failed login attempts?\\. (Invalid account|Account) '(?<account>[^']*)'( via '[^']*')?$"),
    ]

    /// Dovecot login failures: counted N times for "(auth failed, N attempts". The user name is attacker-chosen
    /// and may contain "rip=": the greedy account group leaves the last `rip=` (Dovecot's own) for the address.
    static func dovecot(_ service: String) -> String {
        "^(%TS%( [^ ]+)? (dovecot(\\[[0-9]+\\])?: )?|%TS% )\(service)-login(\\[[0-9]+\\])?: (Info: )?.*\\((auth failed|auth service reported temporary failure), (?<count>[0-9]+) attempts( in [0-9]+ secs)?\\)( \\([a-z_]+\\))?: (user=<(?<account>.*)>, )?(method=[A-Za-z0-9-]+, )?rip=%IP%(, lip=[0-9A-Fa-f:.]+)?(, .*|: .*)?$"
    }

    /// Compiled once; a broken built-in pattern is a programming error caught by the unit tests.
    public static let all: [FailureRule] = specs.compactMap { spec in
        try? FailureRule(name: spec.name, app: spec.app, text: spec.text, trigger: spec.trigger, logKeys: spec.logKeys,
                         literals: spec.literals, pattern: spec.pattern, ipForm: spec.ipForm)
    }

    public static var names: [String] { specs.map(\.name) }
}

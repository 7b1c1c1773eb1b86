package ai.qubittron.bastion.netty.admin.dashboard;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.CookieHeaderNames;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The dashboard on the admin listener: its pages and scripts, sign-in with the admin token into a session
 * cookie, and the session rules for the admin API.
 *
 * <pre>
 *   GET  /  and  /dashboard            → 302 /dashboard/  (and /favicon.ico → 204)
 *   GET  /dashboard/                   the single-page app (static, from the jar; it asks /dashboard/session)
 *   GET  /dashboard/app.js, app.css, vendor/uPlot.iife.min.js, vendor/uPlot.min.css
 *   POST /dashboard/login              form field token → 303 /dashboard/ with the session cookie;
 *                                      wrong token → 401 page; 10 failures a minute from one address → 429
 *   GET  /dashboard/session            → {"csrf_token"} for a live session, else 401
 *   POST /dashboard/logout             (X-CSRF-Token) → 204, the session dropped and the cookie cleared
 * </pre>
 *
 * <p>Security model: the token never travels in a URL (the form posts it) and is compared in constant
 * time. The cookie {@value #COOKIE} holds a random 256-bit id, {@code HttpOnly; SameSite=Strict; Path=/},
 * and {@code Secure} when the listener is TLS. With the cookie, every admin request other than GET/HEAD
 * must carry the session's CSRF token in {@value #CSRF_HEADER} (a header a cross-site form cannot set);
 * a sign-in whose {@code Origin} is another site is refused. Every answer of the admin listener gets
 * {@link #secureHeaders}: a Content-Security-Policy of {@code default-src 'self'} (the app has no inline
 * script), {@code X-Frame-Options: DENY}, {@code nosniff} and {@code Cache-Control: no-store}. Neither the
 * token nor a session id is ever logged.
 *
 * <p>Called from the admin server's one thread; thread-safe regardless.
 */
public final class Dashboard {

    /** The app's path. */
    public static final String PATH = "/dashboard/";
    /** The session cookie's name. */
    public static final String COOKIE = "bastion_session";
    /** The header that carries the session's CSRF token on state-changing requests. */
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final String CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    private static final String HTML = "text/html; charset=utf-8";
    private static final byte[] NOT_SIGNED_IN = ("{\"error\":{\"message\":\"Not signed in\",\"type\":\"invalid_request_error\","
            + "\"param\":null,\"code\":\"invalid_api_key\"}}").getBytes(StandardCharsets.UTF_8);
    private static final byte[] CSRF_REQUIRED = ("{\"error\":{\"message\":\"A request made with the dashboard's session "
            + "must carry its CSRF token in " + CSRF_HEADER + ".\",\"type\":\"invalid_request_error\",\"param\":null,"
            + "\"code\":\"csrf_token_required\"}}").getBytes(StandardCharsets.UTF_8);

    /** What a request to the admin API may do on its session cookie, when it has no bearer token. */
    public enum Access {
        /** A live session, and the CSRF token when the method changes state. */
        ALLOWED,
        /** No cookie, or one of no live session: 401. */
        NO_SESSION,
        /** A live session, but a state-changing request without its CSRF token: 403. */
        CSRF_REQUIRED
    }

    private final byte[] token;
    private final boolean secureCookie;
    private final SessionStore sessions;
    private final LoginThrottle throttle;
    private final DashboardAssets assets;

    /**
     * @param adminToken   the admin token a sign-in must give
     * @param secureCookie whether the listener is TLS, so that the cookie is marked {@code Secure}
     */
    public Dashboard(String adminToken, boolean secureCookie) {
        this(adminToken, secureCookie, System::nanoTime);
    }

    Dashboard(String adminToken, boolean secureCookie, LongSupplier nanoClock) {
        this.token = adminToken.getBytes(StandardCharsets.UTF_8);
        this.secureCookie = secureCookie;
        this.sessions = new SessionStore(nanoClock, SessionStore.DEFAULT_IDLE_TIMEOUT, SessionStore.DEFAULT_MAX_SESSIONS);
        this.throttle = new LoginThrottle(nanoClock, LoginThrottle.DEFAULT_MAX_FAILURES, LoginThrottle.DEFAULT_WINDOW);
        this.assets = DashboardAssets.load();
    }

    /**
     * Answers a request for the dashboard's paths ({@code /}, {@code /dashboard…}).
     *
     * @param request the request; not released (the caller's)
     * @param path    its path, without the query
     * @param remote  the client's address, for the sign-in throttle
     * @return the answer, or {@code null} when the path is not the dashboard's
     */
    public FullHttpResponse answer(FullHttpRequest request, String path, SocketAddress remote) {
        HttpMethod method = request.method();
        if (path.equals("/") || path.equals("/dashboard")) {
            return redirect(HttpResponseStatus.FOUND, PATH);
        }
        if (path.equals("/favicon.ico")) {
            // browsers ask for it on every page; nothing to show, and no 401 in their console
            FullHttpResponse none = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            none.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            return none;
        }
        if (!path.startsWith(PATH)) {
            return null;
        }
        switch (path) {
            case "/dashboard/login":
                return method.equals(HttpMethod.POST) ? login(request, remote) : notAllowed(HttpMethod.POST);
            case "/dashboard/session":
                if (!method.equals(HttpMethod.GET)) {
                    return notAllowed(HttpMethod.GET);
                }
                return session(request)
                        .map(s -> json(HttpResponseStatus.OK, ("{\"csrf_token\":\"" + s.csrfToken() + "\"}").getBytes(StandardCharsets.US_ASCII)))
                        .orElseGet(() -> json(HttpResponseStatus.UNAUTHORIZED, NOT_SIGNED_IN));
            case "/dashboard/logout":
                return method.equals(HttpMethod.POST) ? logout(request) : notAllowed(HttpMethod.POST);
            default:
                DashboardAssets.Asset asset = assets.find(path);
                if (asset == null) {
                    return page(HttpResponseStatus.NOT_FOUND, "Not found", "There is no such page.");
                }
                if (!method.equals(HttpMethod.GET)) {
                    return notAllowed(HttpMethod.GET);
                }
                return response(HttpResponseStatus.OK, asset.contentType(), asset.body());
        }
    }

    /**
     * {@return what an admin API request without {@code Authorization} may do on its cookie}
     *
     * @param request the request; not released
     */
    public Access access(FullHttpRequest request) {
        Optional<SessionStore.Session> session = session(request);
        if (session.isEmpty()) {
            return Access.NO_SESSION;
        }
        HttpMethod method = request.method();
        if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
            return Access.ALLOWED;
        }
        return session.get().csrfMatches(request.headers().get(CSRF_HEADER)) ? Access.ALLOWED : Access.CSRF_REQUIRED;
    }

    /**
     * Sets the headers every answer of the admin listener carries (see the class comment); keeps a
     * {@code Cache-Control} already set.
     *
     * @param headers the answer's headers
     */
    public static void secureHeaders(HttpHeaders headers) {
        headers.set("Content-Security-Policy", CSP)
                .set("X-Frame-Options", "DENY")
                .set("X-Content-Type-Options", "nosniff")
                // same-origin, not no-referrer: with no-referrer a browser posts the sign-in form with "Origin: null"
                .set("Referrer-Policy", "same-origin");
        if (!headers.contains(HttpHeaderNames.CACHE_CONTROL)) {
            headers.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        }
    }

    private FullHttpResponse login(FullHttpRequest request, SocketAddress remote) {
        if (!sameOrigin(request)) {
            return page(HttpResponseStatus.FORBIDDEN, "Refused", "A sign-in must come from the dashboard's own page.");
        }
        InetAddress address = remote instanceof InetSocketAddress inet ? inet.getAddress() : InetAddress.getLoopbackAddress();
        long retryAfter = throttle.retryAfterSeconds(address);
        if (retryAfter > 0) {
            FullHttpResponse response = page(HttpResponseStatus.TOO_MANY_REQUESTS, "Too many attempts",
                    "Too many wrong tokens from your address; wait a minute and try again.");
            response.headers().set(HttpHeaderNames.RETRY_AFTER, retryAfter);
            return response;
        }
        String given = formField(request, "token");
        if (given == null || !MessageDigest.isEqual(token, given.trim().getBytes(StandardCharsets.UTF_8))) {
            throttle.failed(address);
            return page(HttpResponseStatus.UNAUTHORIZED, "Wrong token",
                    "That is the wrong token. Use the admin token the server printed at start.");
        }
        throttle.succeeded(address);
        // a session id sent by the browser before sign-in is never reused (no session fixation)
        cookieValues(request).forEach(sessions::drop);
        SessionStore.Session session = sessions.create();
        FullHttpResponse response = redirect(HttpResponseStatus.SEE_OTHER, PATH);
        response.headers().add(HttpHeaderNames.SET_COOKIE, cookie(session.id(), -1));
        return response;
    }

    private FullHttpResponse logout(FullHttpRequest request) {
        Optional<SessionStore.Session> session = session(request);
        if (session.isEmpty()) {
            return json(HttpResponseStatus.UNAUTHORIZED, NOT_SIGNED_IN);
        }
        if (!session.get().csrfMatches(request.headers().get(CSRF_HEADER))) {
            return csrfRequired();
        }
        sessions.drop(session.get().id());
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0)
                .add(HttpHeaderNames.SET_COOKIE, cookie("", 0));
        return response;
    }

    /** {@return the 403 answer to a state-changing request made with the cookie but not the CSRF token} */
    public static FullHttpResponse csrfRequired() {
        return json(HttpResponseStatus.FORBIDDEN, CSRF_REQUIRED);
    }

    private Optional<SessionStore.Session> session(FullHttpRequest request) {
        for (String id : cookieValues(request)) {
            Optional<SessionStore.Session> found = sessions.find(id);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static List<String> cookieValues(FullHttpRequest request) {
        List<String> headers = request.headers().getAll(HttpHeaderNames.COOKIE);
        if (headers.isEmpty()) {
            return List.of();
        }
        return headers.stream()
                .flatMap(h -> ServerCookieDecoder.STRICT.decodeAll(h).stream())
                .filter(c -> c.name().equals(COOKIE))
                .map(Cookie::value)
                .toList();
    }

    private String cookie(String value, long maxAge) {
        DefaultCookie cookie = new DefaultCookie(COOKIE, value);
        cookie.setHttpOnly(true);
        cookie.setSecure(secureCookie);
        cookie.setSameSite(CookieHeaderNames.SameSite.Strict);
        cookie.setPath("/");
        if (maxAge >= 0) {
            cookie.setMaxAge(maxAge);
        }
        return ServerCookieEncoder.STRICT.encode(cookie);
    }

    /** A sign-in with an {@code Origin} must be from this listener's own origin (browsers send it on POST). */
    private static boolean sameOrigin(FullHttpRequest request) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin == null) {
            return true;
        }
        String host = request.headers().get(HttpHeaderNames.HOST);
        return host != null && (origin.equals("http://" + host) || origin.equals("https://" + host));
    }

    private static String formField(FullHttpRequest request, String name) {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
            return null;
        }
        String body = request.content().toString(StandardCharsets.UTF_8);
        Map<String, List<String>> fields = new QueryStringDecoder(body, StandardCharsets.UTF_8, false).parameters();
        List<String> values = fields.get(name);
        return values == null || values.size() != 1 ? null : values.get(0);
    }

    private static FullHttpResponse redirect(HttpResponseStatus status, String location) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        response.headers().set(HttpHeaderNames.LOCATION, location).setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        return response;
    }

    private static FullHttpResponse notAllowed(HttpMethod allowed) {
        FullHttpResponse response = page(HttpResponseStatus.METHOD_NOT_ALLOWED, "Method not allowed", "Use " + allowed + ".");
        response.headers().set(HttpHeaderNames.ALLOW, allowed.name());
        return response;
    }

    /** A small page of fixed text (never request data), styled by the app's stylesheet. */
    private static FullHttpResponse page(HttpResponseStatus status, String title, String message) {
        String html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bastion — " + title
                + "</title><link rel=\"stylesheet\" href=\"/dashboard/app.css\"></head>\n<body class=\"notice\"><main>"
                + "<h1>" + title + "</h1><p id=\"message\">" + message + "</p><p><a href=\"/dashboard/\">Back to the sign-in</a></p>"
                + "</main></body></html>\n";
        return response(status, HTML, html.getBytes(StandardCharsets.UTF_8));
    }

    private static FullHttpResponse json(HttpResponseStatus status, byte[] body) {
        return response(status, "application/json", body);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }
}

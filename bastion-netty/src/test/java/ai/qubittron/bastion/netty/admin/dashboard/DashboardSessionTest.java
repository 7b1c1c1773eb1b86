package ai.qubittron.bastion.netty.admin.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.auth.InMemoryApiKeyStore;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.ledger.InMemoryLedger;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.netty.admin.AdminServer;
import ai.qubittron.bastion.netty.admin.InMemoryAdminBackend;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard's sign-in, session cookie and CSRF rules, through plain HTTP requests to a real admin listener. */
class DashboardSessionTest {

    private static final String TOKEN = "dashboard-admin-token-0123";
    /** No cookie jar: each test sends the cookie it means to, and follows no redirect. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private AdminServer admin;

    @BeforeEach
    void start() {
        admin = AdminServer.start("127.0.0.1", 0, TOKEN, new InMemoryAdminBackend(new InMemoryApiKeyStore(),
                new InMemoryLedger(), new TierTable(), new PriceBook(new ModelPrice(1, 1)), ModelCatalog.defaults()));
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    @Test
    void theRootRedirectsToTheAppWhichIsServedWithItsSecurityHeaders() throws Exception {
        HttpResponse<String> root = send(get("/"));
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("location")).contains("/dashboard/");
        assertThat(send(get("/dashboard")).headers().firstValue("location")).contains("/dashboard/");

        HttpResponse<String> page = send(get("/dashboard/"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("content-security-policy").orElseThrow()).startsWith("default-src 'self'");
        assertThat(page.headers().firstValue("x-frame-options")).contains("DENY");
        assertThat(page.headers().firstValue("cache-control")).contains("no-store");
        assertThat(page.headers().firstValue("x-content-type-options")).contains("nosniff");
        // no inline script: every script element names its file
        assertThat(page.body()).contains("<form id=\"login-form\" method=\"post\" action=\"/dashboard/login\">");
        assertThat(page.body().split("<script").length - 1)
                .isEqualTo(page.body().split("<script src=\"/dashboard/").length - 1).isEqualTo(2);

        assertThat(send(get("/dashboard/app.js")).headers().firstValue("content-type")).contains("text/javascript; charset=utf-8");
        assertThat(send(get("/dashboard/app.css")).headers().firstValue("content-type")).contains("text/css; charset=utf-8");
        HttpResponse<String> chart = send(get("/dashboard/vendor/uPlot.iife.min.js"));
        assertThat(chart.statusCode()).isEqualTo(200);
        assertThat(chart.body()).contains("uPlot");
        assertThat(send(get("/dashboard/vendor/uPlot.min.css")).statusCode()).isEqualTo(200);
        assertThat(send(get("/dashboard/../admin/v1/accounts")).statusCode()).isIn(401, 404);
        assertThat(send(get("/dashboard/nothing.js")).statusCode()).isEqualTo(404);
        // the API's JSON is never cached either
        assertThat(send(get("/admin/v1/accounts/x").header("Authorization", "Bearer " + TOKEN))
                .headers().firstValue("cache-control")).contains("no-store");
    }

    @Test
    void aWrongTokenGets401AndNoCookie() throws Exception {
        HttpResponse<String> wrong = send(login("not-the-token-at-all"));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("content-type")).contains("text/html; charset=utf-8");
        assertThat(wrong.body()).containsIgnoringCase("wrong token");
        assertThat(wrong.headers().firstValue("set-cookie")).isEmpty();
        assertThat(send(login(TOKEN.substring(1))).statusCode()).isEqualTo(401);
        assertThat(send(post("/dashboard/login", "token=" + TOKEN).header("Content-Type", "text/plain")).statusCode())
                .isEqualTo(401);
    }

    @Test
    void theRightTokenGivesAStrictHttpOnlyCookieAndTheSessionItsCsrfToken() throws Exception {
        HttpResponse<String> ok = send(login(TOKEN));
        assertThat(ok.statusCode()).isEqualTo(303);
        assertThat(ok.headers().firstValue("location")).contains("/dashboard/");
        String setCookie = ok.headers().firstValue("set-cookie").orElseThrow();
        assertThat(setCookie).matches("bastion_session=[A-Za-z0-9_-]{43}; .*")
                .contains("; Path=/").containsIgnoringCase("; HttpOnly").contains("; SameSite=Strict")
                .doesNotContain("Secure").doesNotContain(TOKEN);

        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        HttpResponse<String> session = send(get("/dashboard/session").header("Cookie", cookie));
        assertThat(session.statusCode()).isEqualTo(200);
        assertThat(session.body()).matches("\\{\"csrf_token\":\"[A-Za-z0-9_-]{43}\"}");
        assertThat(send(get("/dashboard/session")).statusCode()).isEqualTo(401);
        assertThat(send(get("/dashboard/session").header("Cookie", "bastion_session=forged")).statusCode()).isEqualTo(401);
    }

    @Test
    void theCookieOpensTheAdminApiButChangesNeedTheCsrfToken() throws Exception {
        String cookie = signIn();
        String csrf = csrf(cookie);
        assertThat(send(get("/admin/v1/accounts/acme")).statusCode()).isEqualTo(401);
        assertThat(send(get("/admin/v1/accounts/acme").header("Cookie", cookie)).statusCode()).isEqualTo(404);

        String account = "{\"id\":\"acme\",\"balance_micros\":10}";
        HttpResponse<String> noCsrf = send(post("/admin/v1/accounts", account).header("Cookie", cookie));
        assertThat(noCsrf.statusCode()).isEqualTo(403);
        assertThat(noCsrf.body()).contains("csrf_token_required");
        assertThat(send(post("/admin/v1/accounts", account).header("Cookie", cookie)
                .header("X-CSRF-Token", csrf.substring(1))).statusCode()).isEqualTo(403);
        // another session's token is no good either
        String other = csrf(signIn());
        assertThat(send(post("/admin/v1/accounts", account).header("Cookie", cookie)
                .header("X-CSRF-Token", other)).statusCode()).isEqualTo(403);
        assertThat(send(get("/admin/v1/accounts/acme").header("Cookie", cookie)).statusCode()).isEqualTo(404);

        assertThat(send(post("/admin/v1/accounts", account).header("Cookie", cookie)
                .header("X-CSRF-Token", csrf)).statusCode()).isEqualTo(201);
        assertThat(send(get("/admin/v1/accounts/acme").header("Cookie", cookie)).body()).contains("\"balance_micros\":10");
        assertThat(send(HttpRequest.newBuilder(uri("/admin/v1/keys/none")).DELETE().header("Cookie", cookie)).statusCode())
                .isEqualTo(403);

        // a bearer token, when given, is what counts: a wrong one is 401 even beside a good cookie
        assertThat(send(get("/admin/v1/accounts/acme").header("Cookie", cookie)
                .header("Authorization", "Bearer wrong-token-0123456789")).statusCode()).isEqualTo(401);
        assertThat(send(post("/admin/v1/accounts/acme/credit", "{\"amount_micros\":5}")
                .header("Authorization", "Bearer " + TOKEN)).statusCode()).isEqualTo(200);
    }

    @Test
    void aSignInFromAnotherSiteIsRefused() throws Exception {
        HttpResponse<String> cross = send(login(TOKEN).header("Origin", "http://evil.example"));
        assertThat(cross.statusCode()).isEqualTo(403);
        assertThat(cross.headers().firstValue("set-cookie")).isEmpty();
        assertThat(send(login(TOKEN).header("Origin", "http://127.0.0.1:" + admin.port())).statusCode()).isEqualTo(303);
    }

    @Test
    void signingInAgainNeverKeepsTheSessionTheBrowserHad() throws Exception {
        String first = signIn();
        HttpResponse<String> again = send(login(TOKEN).header("Cookie", first));
        String second = again.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
        assertThat(second).isNotEqualTo(first);
        assertThat(send(get("/dashboard/session").header("Cookie", first)).statusCode()).isEqualTo(401);
        assertThat(send(get("/dashboard/session").header("Cookie", second)).statusCode()).isEqualTo(200);
    }

    @Test
    void signingOutNeedsTheCsrfTokenThenDropsTheSession() throws Exception {
        String cookie = signIn();
        String csrf = csrf(cookie);
        assertThat(send(post("/dashboard/logout", "").header("Cookie", cookie)).statusCode()).isEqualTo(403);
        assertThat(send(get("/dashboard/session").header("Cookie", cookie)).statusCode()).isEqualTo(200);
        HttpResponse<String> out = send(post("/dashboard/logout", "").header("Cookie", cookie).header("X-CSRF-Token", csrf));
        assertThat(out.statusCode()).isEqualTo(204);
        assertThat(out.headers().firstValue("set-cookie").orElseThrow()).startsWith("bastion_session=;").contains("Max-Age=0");
        assertThat(send(get("/dashboard/session").header("Cookie", cookie)).statusCode()).isEqualTo(401);
        assertThat(send(get("/admin/v1/accounts/acme").header("Cookie", cookie)).statusCode()).isEqualTo(401);
    }

    @Test
    void tenWrongTokensInAMinuteAndEvenTheRightOneGets429() throws Exception {
        for (int i = 0; i < 10; i++) {
            assertThat(send(login("wrong-token-" + i)).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> blocked = send(login(TOKEN));
        assertThat(blocked.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(blocked.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 61L);
        assertThat(blocked.headers().firstValue("set-cookie")).isEmpty();
        // the bearer token of the API is not throttled by the form
        assertThat(send(get("/admin/v1/accounts/x").header("Authorization", "Bearer " + TOKEN)).statusCode()).isEqualTo(404);
    }

    @Test
    void onATlsListenerTheCookieIsSecure() {
        Dashboard tls = new Dashboard(TOKEN, true);
        FullHttpRequest login = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/dashboard/login",
                Unpooled.copiedBuffer("token=" + TOKEN, StandardCharsets.UTF_8));
        login.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/x-www-form-urlencoded");
        FullHttpResponse answer = tls.answer(login, "/dashboard/login", new InetSocketAddress("127.0.0.1", 1));
        try {
            assertThat(answer.status().code()).isEqualTo(303);
            assertThat(answer.headers().get(HttpHeaderNames.SET_COOKIE)).contains("; Secure").containsIgnoringCase("HttpOnly");
        } finally {
            answer.release();
            login.release();
        }
    }

    @Test
    void theBrowsersFaviconRequestIsAnsweredEmpty() throws Exception {
        assertThat(send(get("/favicon.ico")).statusCode()).isEqualTo(204);
    }

    private String signIn() throws Exception {
        HttpResponse<String> ok = send(login(TOKEN));
        assertThat(ok.statusCode()).isEqualTo(303);
        return ok.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
    }

    private String csrf(String cookie) throws Exception {
        String body = send(get("/dashboard/session").header("Cookie", cookie)).body();
        return body.substring("{\"csrf_token\":\"".length(), body.length() - 2);
    }

    private HttpRequest.Builder login(String token) {
        return post("/dashboard/login", "token=" + URLEncoder.encode(token, StandardCharsets.UTF_8))
                .header("Content-Type", "application/x-www-form-urlencoded");
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + admin.port() + path);
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(uri(path)).GET();
    }

    private HttpRequest.Builder post(String path, String body) {
        return HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}

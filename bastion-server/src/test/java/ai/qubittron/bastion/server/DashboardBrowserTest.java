package ai.qubittron.bastion.server;

import static org.assertj.core.api.Assertions.assertThat;

import ai.qubittron.bastion.server.config.ServerConfigReader;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.sim.SimulatedWorker;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard end to end, in headless Chromium driven by Selenium: a standalone gateway with simulated
 * workers and its admin listener on free ports, the browser signed in with the admin token. One PNG of
 * each page goes to {@code target/dashboard-screenshots/}.
 *
 * <p>Needs the Debian packages {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them).
 * Without them the tests fail under {@code CI=true} and are skipped elsewhere, saying so. Every wait is an
 * explicit condition (a loaded 2-core machine is slow, not wrong).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {

    private static final String ADMIN_TOKEN = "dashboard-browser-token-0123";
    private static final String ACCOUNT = "acme";
    private static final Path SCREENSHOTS = Path.of("target", "dashboard-screenshots");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static StandaloneGateway server;
    private static WebDriver browser;
    private static Path profile;
    private static String dashboard;

    @BeforeAll
    static void start() throws IOException {
        Path chromium = Path.of(System.getProperty("bastion.test.chromium", "/usr/bin/chromium"));
        Path driver = Path.of(System.getProperty("bastion.test.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(driver)) {
            String message = "the dashboard's browser tests need " + chromium + " and " + driver
                    + ": run `apt-get install -y chromium chromium-driver` (as .ci/run does), or point "
                    + "-Dbastion.test.chromium / -Dbastion.test.chromedriver at them";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(message);
            }
            // surefire does not print why a class was skipped: say it on the console
            System.err.println("DashboardBrowserTest skipped: " + message);
            Assumptions.abort(message);
        }
        Path dir = Files.createTempDirectory("bastion-dashboard-test");
        Path config = dir.resolve("bastion.yaml");
        Files.writeString(config, """
                listener: {port: 0}
                admin: {port: 0, token: %s}
                gateway: {overload_waiting_requests: 2}
                models: [gpt-oss-120b]
                simulated_workers:
                  - {count: 2, inter_token_millis: 1, prefill_micros_per_token: 1}
                accounts:
                  - {id: %s, balance_micros: 1000000}
                """.formatted(ADMIN_TOKEN, ACCOUNT));
        server = StandaloneGateway.start(ServerConfigReader.load(config, List.of(), name -> null));
        dashboard = "http://127.0.0.1:" + server.admin().port() + "/dashboard/";

        // Selenium Manager must neither look for nor download a driver: both paths are given
        System.setProperty("webdriver.chrome.driver", driver.toString());
        profile = Files.createTempDirectory("bastion-dashboard-chromium");
        ChromeOptions options = new ChromeOptions();
        // the console, to find policy violations and script errors
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--window-size=1280,1000", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted((a, b) -> b.compareTo(a)).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    @Order(1)
    void aWrongTokenIsRefusedAndTheAdminTokenSignsIn() {
        browser.manage().deleteAllCookies();
        browser.get(dashboard);
        signIn("not-the-admin-token");
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "wrong token"));
        assertThat(browser.getCurrentUrl()).doesNotContain("not-the-admin-token");

        browser.get(dashboard);
        signIn(ADMIN_TOKEN);
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("accounts-table")));
        assertThat(browser.getCurrentUrl()).doesNotContain(ADMIN_TOKEN);
        assertThat(browser.manage().getCookieNamed("bastion_session").isHttpOnly()).isTrue();
    }

    @Test
    @Order(2)
    void creditAddedOnTheAccountsPageShowsInTheBalance() {
        open("accounts");
        By balance = By.cssSelector("tr[data-account='" + ACCOUNT + "'] .balance");
        waitFor(ExpectedConditions.textToBe(balance, "$1.00"));
        WebElement row = browser.findElement(By.cssSelector("tr[data-account='" + ACCOUNT + "']"));
        row.findElement(By.className("credit-amount")).sendKeys("2.5");
        row.findElement(By.className("credit-submit")).click();
        waitFor(ExpectedConditions.textToBe(balance, "$3.50"));
        assertThat(server.ledger().balance(ACCOUNT).toCompletableFuture().join().balanceMicros()).isEqualTo(3_500_000);
        screenshot("accounts");
    }

    @Test
    @Order(3)
    void aKeyCreatedOnceWorksAgainstTheGatewayUntilItIsRevoked() throws Exception {
        open("keys");
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.id("key-account"), ACCOUNT));
        browser.findElement(By.id("key-create")).click();
        WebElement shown = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("new-key-value")));
        String key = shown.getText();
        assertThat(key).startsWith("qbt_");
        assertThat(browser.findElement(By.id("new-key")).getText()).contains("like a password");
        browser.findElement(By.id("copy-key")).click();
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.id("copy-result"), "C"));
        String prefix = key.substring(0, 12);
        By row = By.xpath("//table[@id='keys-table']//tr[td[2][starts-with(., '" + prefix + "')]]");
        waitFor(ExpectedConditions.visibilityOfElementLocated(row));
        screenshot("keys");

        assertThat(chat(key).statusCode()).isEqualTo(200);

        WebElement revoke = browser.findElement(row).findElement(By.className("revoke"));
        revoke.click();
        waitFor(ExpectedConditions.textToBePresentInElement(revoke, "Confirm"));
        revoke.click();
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.xpath(
                "//table[@id='keys-table']//tr[td[2][starts-with(., '" + prefix + "')]]/td[contains(@class, 'key-state')]"),
                "revoked"));
        assertThat(chat(key).statusCode()).isEqualTo(401);
        // the key itself is gone from the page once dismissed
        browser.findElement(By.id("new-key-dismiss")).click();
        assertThat(browser.findElement(By.id("new-key-value")).getAttribute("textContent")).isEmpty();
    }

    @Test
    @Order(4)
    void aTierMadeOnTheLimitsPageLimitsItsKeysWhichShowNearTheirLimit() throws Exception {
        open("limits");
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#tiers-table tr[data-tier='default']")));
        browser.findElement(By.id("tier-name")).sendKeys("tiny");
        browser.findElement(By.id("tier-rpm")).sendKeys("4");
        browser.findElement(By.id("tier-tpm")).sendKeys("100000");
        browser.findElement(By.cssSelector("#tier-form button")).click();
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#tiers-table tr[data-tier='tiny']")));

        open("accounts");
        browser.findElement(By.id("account-id")).sendKeys("small");
        WebElement tier = browser.findElement(By.id("account-tier"));
        tier.clear();
        tier.sendKeys("tiny");
        browser.findElement(By.id("account-balance")).sendKeys("1");
        browser.findElement(By.cssSelector("#account-form button")).click();
        waitFor(ExpectedConditions.textToBe(By.cssSelector("tr[data-account='small'] td:nth-child(2)"), "tiny"));

        String key = newKey("small");
        assertThat(chat(key).statusCode()).isEqualTo(200);
        // two of its four requests a minute make it near its limit; the use is per minute, so a request
        // more is sent while the page has not shown it (the minute may turn between two of them)
        open("limits");
        waitFor(d -> {
            if (d.findElement(By.id("limits-table")).getText().contains("small")) {
                return true;
            }
            try {
                chat(key);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            d.navigate().refresh();
            return false;
        });
        assertThat(browser.findElement(By.id("limits-table")).getText()).contains("tiny").contains(" / 4");
        screenshot("limits");
    }

    @Test
    @Order(5)
    void aPriceEditedOnTheRatesPageIsTheGatewaysPrice() throws Exception {
        open("rates");
        WebElement row = waitFor(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#prices-table tr[data-model='gpt-oss-120b']")));
        WebElement input = row.findElement(By.className("price-input"));
        input.clear();
        input.sendKeys("0.25");
        row.findElement(By.className("price-save")).click();
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "saved"));
        assertThat(admin("/admin/v1/prices")).contains("\"input_per_million_micros\":250000");
        screenshot("rates");
    }

    @Test
    @Order(6)
    void theUsagePageShowsWhatWasSpent() {
        open("usage");
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#usage-chart .uplot")));
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.id("usage-by-model"), "gpt-oss-120b"));
        screenshot("usage");
    }

    @Test
    @Order(7)
    void aWorkerSlowedUnderOtherLoadIsShownOverloadedThenHealthyAgain() throws Exception {
        open("workers");
        SimulatedWorker slowed = server.simulatedWorkers().get(1);
        By state = By.xpath("//table[@id='workers-table']//tr[@data-worker='" + slowed.baseUrl() + "']/td[3]");
        waitFor(ExpectedConditions.textToBe(state, "healthy"));
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#ttft-chart .uplot")));
        screenshot("workers");

        // one sequence at a time, 50 ms a token, and four requests sent to it directly (traffic the gateway
        // does not route): three wait, which its /metrics report, and the gateway's load probe reads
        SimConfig normal = slowed.config();
        slowed.reconfigure(normal.toBuilder().maxRunning(1).interTokenMillis(50).build());
        List<CompletableFuture<HttpResponse<String>>> direct = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            direct.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(slowed.baseUrl() + "/v1/chat/completions"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + slowed.models().get(0) + "\","
                            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":40}")).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        waitFor(ExpectedConditions.textToBe(state, "overloaded"));
        screenshot("workers-overloaded");
        slowed.reconfigure(normal);
        CompletableFuture.allOf(direct.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        waitFor(ExpectedConditions.textToBe(state, "healthy"));
    }

    @Test
    @Order(8)
    void aWorkerThatStopsAnsweringIsShownEjected() throws Exception {
        open("workers");
        SimulatedWorker down = server.simulatedWorkers().get(0);
        By state = By.xpath("//table[@id='workers-table']//tr[@data-worker='" + down.baseUrl() + "']/td[3]");
        waitFor(ExpectedConditions.textToBe(state, "healthy"));
        down.refuseConnections(true);
        // requests fail over to the other worker; three failures in a row open this one's circuit
        waitFor(d -> {
            try {
                chat(null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return d.findElement(state).getText().equals("ejected");
        });
        screenshot("workers-ejected");
        down.refuseConnections(false);
    }

    @Test
    @Order(9)
    void signingOutEndsTheSession() throws Exception {
        open("accounts");
        String session = browser.manage().getCookieNamed("bastion_session").getValue();
        browser.findElement(By.id("logout")).click();
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        waitFor(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "Signed out"));
        HttpResponse<String> old = HTTP.send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + server.admin().port() + "/admin/v1/accounts"))
                .header("Cookie", "bastion_session=" + session).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(old.statusCode()).isEqualTo(401);
        screenshot("sign-in");
    }

    @Test
    @Order(10)
    void noPageBrokeTheContentSecurityPolicyOrThrew() {
        List<String> problems = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage)
                .filter(m -> m.contains("Content Security Policy") || m.contains("Uncaught") || m.contains("TypeError"))
                .toList();
        assertThat(problems).isEmpty();
    }

    // ---- helpers ----

    private static void signIn(String token) {
        WebElement field = waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
        field.sendKeys(token);
        browser.findElement(By.id("login-submit")).click();
    }

    private static void open(String page) {
        browser.get(dashboard + "#" + page);
        waitFor(ExpectedConditions.or(
                ExpectedConditions.visibilityOfElementLocated(By.id("page-" + page)),
                ExpectedConditions.visibilityOfElementLocated(By.id("token"))));
        if (!browser.findElements(By.id("token")).isEmpty() && browser.findElement(By.id("token")).isDisplayed()) {
            signIn(ADMIN_TOKEN);
            browser.get(dashboard + "#" + page);
        }
        waitFor(ExpectedConditions.attributeToBe(By.tagName("body"), "data-page", page));
        waitFor(ExpectedConditions.visibilityOfElementLocated(By.id("page-" + page)));
    }

    private static <T> T waitFor(java.util.function.Function<? super WebDriver, T> condition) {
        // the live pages redraw their tables: an element read as it is replaced is looked up again
        return new WebDriverWait(browser, WAIT).ignoring(StaleElementReferenceException.class).until(condition);
    }

    private static void screenshot(String name) {
        try {
            Files.write(SCREENSHOTS.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A chat completion with {@code key} (or a fresh key of its own when null). */
    private static HttpResponse<String> chat(String key) throws Exception {
        String bearer = key != null ? key : demoKey();
        return HTTP.send(HttpRequest.newBuilder(URI.create(server.gateway().baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-oss-120b\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"hello\"}],\"max_tokens\":4}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String trafficKey;

    /** A key made through the API (not the page) for background traffic. */
    private static synchronized String demoKey() throws Exception {
        if (trafficKey == null) {
            trafficKey = newKey(ACCOUNT);
        }
        return trafficKey;
    }

    /** A new key of {@code account}, made through the admin API. */
    private static String newKey(String account) throws Exception {
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(
                        "http://127.0.0.1:" + server.admin().port() + "/admin/v1/accounts/" + account + "/keys"))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        int start = body.indexOf("\"key\":\"") + 7;
        return body.substring(start, body.indexOf('"', start));
    }

    private static String admin(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.admin().port() + path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}

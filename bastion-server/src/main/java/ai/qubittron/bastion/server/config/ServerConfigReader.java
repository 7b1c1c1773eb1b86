package ai.qubittron.bastion.server.config;

import ai.qubittron.bastion.core.admission.TierTable;
import ai.qubittron.bastion.core.catalog.Endpoint;
import ai.qubittron.bastion.core.catalog.ModelCatalog;
import ai.qubittron.bastion.core.catalog.ModelInfo;
import ai.qubittron.bastion.core.pricing.ModelPrice;
import ai.qubittron.bastion.core.pricing.PriceBook;
import ai.qubittron.bastion.netty.Bastion;
import ai.qubittron.bastion.sim.SimConfig;
import ai.qubittron.bastion.spi.auth.ApiKeyHash;
import ai.qubittron.bastion.spi.auth.ApiPrincipal;
import ai.qubittron.bastion.spi.limit.RateLimits;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Turns a configuration tree into a {@link ServerConfig}, checking every key: its type, its range, and
 * what it refers to (a worker's models must be in the catalog, an account's tier must exist…). The
 * first problem ends the reading with a {@link ConfigException} that names the file, the line, the key
 * and the reason. Relative paths are resolved against the configuration file's directory.
 *
 * <p>The keys, their defaults and their meaning are in the README's configuration reference and in
 * {@code bastion serve --help}.
 */
public final class ServerConfigReader {

    /** The admin token's environment variable, used when {@code admin.token} is not set. */
    public static final String ADMIN_TOKEN_VARIABLE = "BASTION_ADMIN_TOKEN";
    /** The shortest admin token accepted. */
    public static final int MIN_ADMIN_TOKEN_LENGTH = 16;
    /** The admin API's default port. */
    public static final int DEFAULT_ADMIN_PORT = 8081;

    /** The names of the endpoints in {@code models[].endpoints}. */
    static final Map<String, Endpoint> ENDPOINTS = Map.of(
            "chat.completions", Endpoint.CHAT_COMPLETIONS,
            "completions", Endpoint.COMPLETIONS,
            "responses", Endpoint.RESPONSES,
            "audio.transcriptions", Endpoint.TRANSCRIPTIONS,
            "audio.speech", Endpoint.TEXT_TO_SPEECH);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern HEX_HASH = Pattern.compile("[0-9a-f]{64}");

    private final Path baseDirectory;
    private final Function<String, String> environment;

    /**
     * @param baseDirectory what relative paths are relative to: the configuration file's directory
     * @param environment   looks up environment variables ({@code System::getenv})
     */
    public ServerConfigReader(Path baseDirectory, Function<String, String> environment) {
        this.baseDirectory = baseDirectory;
        this.environment = environment;
    }

    /**
     * Reads a configuration file and applies {@code --set} overrides to it, in order.
     *
     * @throws ConfigException at the first problem
     */
    public static ServerConfig load(Path file, List<String> overrides, Function<String, String> environment) {
        ConfigFiles files = new ConfigFiles(environment);
        ConfigNode root = file != null ? files.read(file) : ConfigFiles.empty();
        for (String override : overrides) {
            files.override(root, override);
        }
        return new ServerConfigReader(baseDirectory(file), environment).read(root);
    }

    /** The directory relative paths of {@code file} are relative to; the working directory without a file. */
    public static Path baseDirectory(Path file) {
        Path parent = file == null ? null : file.toAbsolutePath().getParent();
        return parent != null ? parent : Path.of("").toAbsolutePath();
    }

    /** Reads a whole configuration. */
    public ServerConfig read(ConfigNode root) {
        Section top = new Section(root);
        ServerConfig.Listener listener = listener(top.section("listener"));
        ServerConfig.Tls tls = top.has("tls") ? tls(top.section("tls")) : null;
        ServerConfig.Admin admin = admin(top.section("admin"));
        GatewaySettings gateway = GatewaySettings.read(top.section("gateway"));
        ModelCatalog catalog = catalog(top);
        ModelPrice defaultPrice = top.has("default_price") ? price(top.section("default_price"))
                : PriceBook.defaults().defaultPrice();
        Map<String, ModelPrice> prices = prices(top.section("prices"), catalog);
        Map<String, RateLimits> tiers = tiers(top.section("tiers"));
        List<ServerConfig.Worker> workers = workers(top.list("workers"), catalog);
        List<ServerConfig.SimulatedWorkers> simulated = simulated(top.list("simulated_workers"), catalog);
        if (workers.isEmpty() && simulated.isEmpty()) {
            throw new ConfigException(root.where(), "workers", "no worker: list the GPU workers under workers "
                    + "(or simulated ones under simulated_workers)");
        }
        ServerConfig.Backends backends = backends(top.section("backends"));
        List<ServerConfig.Account> accounts = accounts(top.list("accounts"), tiers, catalog);
        top.finish();
        if (tls != null && tls.redirectPort() != null && tls.redirectPort() == listener.port() && listener.port() != 0) {
            throw new ConfigException(root.where(), "tls.redirect_port", "must differ from listener.port ("
                    + listener.port() + "), which serves HTTPS");
        }
        if (admin.enabled() && admin.port() == listener.port() && admin.port() != 0
                && admin.host().equals(listener.host())) {
            throw new ConfigException(root.where(), "admin.port", "must differ from listener.port (" + listener.port() + ")");
        }
        return new ServerConfig(listener, tls, admin, gateway, catalog, prices, defaultPrice, tiers, workers, simulated,
                backends, accounts);
    }

    private static ServerConfig.Listener listener(Section s) {
        String host = s.string("host", Bastion.Builder.DEFAULT_HOST);
        int port = (int) s.integer("port", Bastion.Builder.DEFAULT_PORT, 0, 65535);
        Integer ioThreads = s.has("io_threads") ? (int) s.integer("io_threads", 0, 1, 1024) : null;
        s.finish();
        return new ServerConfig.Listener(host, port, ioThreads);
    }

    private ServerConfig.Tls tls(Section s) {
        Path certificate = file(s, "certificate");
        Path privateKey = file(s, "private_key");
        Integer redirect = s.has("redirect_port") ? (int) s.integer("redirect_port", 0, 0, 65535) : null;
        s.finish();
        return new ServerConfig.Tls(certificate, privateKey, redirect);
    }

    /** A file that must exist and be readable, relative to the configuration's directory. */
    private Path file(Section s, String key) {
        String name = s.requiredString(key);
        Path path = baseDirectory.resolve(name).normalize();
        if (!Files.isReadable(path)) {
            throw s.get(key).error("cannot read " + path);
        }
        return path;
    }

    private ServerConfig.Admin admin(Section s) {
        boolean enabled = s.bool("enabled", true);
        String host = s.string("host", Bastion.Builder.DEFAULT_HOST);
        int port = (int) s.integer("port", DEFAULT_ADMIN_PORT, 0, 65535);
        ConfigNode tokenNode = s.get("token");
        String token = s.string("token", null);
        s.finish();
        if (!enabled) {
            return new ServerConfig.Admin(false, host, port, null);
        }
        if (token == null || token.isEmpty()) {
            token = environment.apply(ADMIN_TOKEN_VARIABLE);
            if (token == null || token.isEmpty()) {
                throw new ConfigException(s.node().where(), s.node().childPath("token"), "required when the admin API "
                        + "is on: set it (e.g. token: ${" + ADMIN_TOKEN_VARIABLE + "}), or the environment variable "
                        + ADMIN_TOKEN_VARIABLE + ", or admin.enabled: false");
            }
            if (token.length() < MIN_ADMIN_TOKEN_LENGTH) {
                throw new ConfigException("environment", ADMIN_TOKEN_VARIABLE, "must have at least "
                        + MIN_ADMIN_TOKEN_LENGTH + " characters, has " + token.length());
            }
        } else if (token.length() < MIN_ADMIN_TOKEN_LENGTH) {
            throw tokenNode.error("must have at least " + MIN_ADMIN_TOKEN_LENGTH + " characters, has " + token.length());
        }
        return new ServerConfig.Admin(true, host, port, token);
    }

    /** {@code models:} absent: the default catalog; else each item a default model's name or a full definition. */
    private static ModelCatalog catalog(Section top) {
        ConfigNode node = top.get("models");
        if (node == null) {
            return ModelCatalog.defaults();
        }
        if (node.kind() != ConfigNode.Kind.SEQUENCE || node.items().isEmpty()) {
            throw node.error("must be a list of at least one model, got " + node.describe());
        }
        ModelCatalog defaults = ModelCatalog.defaults();
        List<ModelInfo> models = new ArrayList<>();
        for (ConfigNode item : node.items()) {
            ModelInfo model = item.kind() == ConfigNode.Kind.STRING ? defaults.find(item.text()) : model(new Section(item));
            if (model == null) {
                throw item.error("not a model of the default catalog; define it with id, endpoints and aliases. "
                        + "The default models: " + defaults.models().stream().map(ModelInfo::id).toList());
            }
            if (models.stream().anyMatch(m -> m.id().equals(model.id()))) {
                throw item.error(model.id() + " is listed twice");
            }
            models.add(model);
        }
        try {
            return ModelCatalog.of(models);
        } catch (IllegalArgumentException e) {
            throw node.error(e.getMessage());
        }
    }

    private static ModelInfo model(Section s) {
        String id = s.requiredString("id");
        String category = s.string("category", "LLM");
        Set<Endpoint> endpoints = EnumSet.noneOf(Endpoint.class);
        for (ConfigNode e : s.strings("endpoints")) {
            Endpoint endpoint = ENDPOINTS.get(e.text());
            if (endpoint == null) {
                throw e.error("not an endpoint; the endpoints are " + ENDPOINTS.keySet().stream().sorted().toList());
            }
            endpoints.add(endpoint);
        }
        if (endpoints.isEmpty()) {
            endpoints.addAll(Endpoint.text());
        }
        Set<String> aliases = new LinkedHashSet<>();
        for (ConfigNode alias : s.strings("aliases")) {
            aliases.add(alias.text());
        }
        String upstream = s.string("upstream_name", id);
        String ownedBy = s.string("owned_by", "qubittron");
        s.finish();
        try {
            return new ModelInfo(id, category, endpoints, aliases, upstream, ownedBy, 1735689600L);
        } catch (IllegalArgumentException e) {
            throw s.node().error(e.getMessage());
        }
    }

    private static Map<String, ModelPrice> prices(Section s, ModelCatalog catalog) {
        Map<String, ModelPrice> prices = listPrices(catalog);
        for (String name : s.node().entries().keySet()) {
            Section price = s.section(name);
            ModelInfo model = catalog.find(name);
            if (model == null) {
                throw price.node().error("not a model of the catalog");
            }
            prices.put(model.id(), price(price));
        }
        s.finish();
        return prices;
    }

    /**
     * The default price list's prices of the catalog's models that are in the default catalog, by id: what
     * a configuration starts from before its {@code prices}.
     *
     * @param catalog the models served
     * @return a new, modifiable map, in catalog order
     */
    public static Map<String, ModelPrice> listPrices(ModelCatalog catalog) {
        Map<String, ModelPrice> prices = new LinkedHashMap<>();
        PriceBook defaults = PriceBook.defaults();
        ModelCatalog defaultCatalog = ModelCatalog.defaults();
        for (ModelInfo model : catalog.models()) {
            if (defaultCatalog.find(model.id()) != null) {
                prices.put(model.id(), defaults.price(model.id()));
            }
        }
        return prices;
    }

    private static ModelPrice price(Section s) {
        long input = s.integer("input_per_million_micros", -1, 0, Long.MAX_VALUE / 1_000_000);
        long output = s.integer("output_per_million_micros", -1, 0, Long.MAX_VALUE / 1_000_000);
        s.finish();
        if (input < 0 || output < 0) {
            throw s.node().error("needs input_per_million_micros and output_per_million_micros "
                    + "(micro-dollars per million tokens)");
        }
        return new ModelPrice(input, output);
    }

    private static Map<String, RateLimits> tiers(Section s) {
        Map<String, RateLimits> tiers = new LinkedHashMap<>();
        tiers.put(ApiPrincipal.DEFAULT_TIER, TierTable.DEFAULT_LIMITS);
        for (String name : s.node().entries().keySet()) {
            Section tier = s.section(name);
            if (!NAME.matcher(name).matches()) {
                throw tier.node().error("not a usable tier name (letters, digits, '.', '_', ':', '-')");
            }
            long requests = tier.integer("requests_per_minute", -1, 1, Long.MAX_VALUE);
            long tokens = tier.integer("tokens_per_minute", -1, 1, Long.MAX_VALUE);
            tier.finish();
            if (requests < 0 || tokens < 0) {
                throw tier.node().error("needs requests_per_minute and tokens_per_minute");
            }
            tiers.put(name, new RateLimits(requests, tokens));
        }
        s.finish();
        return tiers;
    }

    private static List<ServerConfig.Worker> workers(List<ConfigNode> items, ModelCatalog catalog) {
        List<ServerConfig.Worker> workers = new ArrayList<>();
        Set<URI> seen = new HashSet<>();
        for (ConfigNode item : items) {
            Section s = new Section(item);
            ConfigNode urlNode = s.get("url");
            URI url = url(s, urlNode);
            List<String> models = models(s, catalog);
            s.finish();
            if (!seen.add(url)) {
                throw urlNode.error("listed twice: give one worker its models in one entry");
            }
            workers.add(new ServerConfig.Worker(url, models));
        }
        return workers;
    }

    private static URI url(Section s, ConfigNode node) {
        String text = s.requiredString("url");
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw node.error("must be an http or https URL with a host, got '" + text + "'");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw node.error("must not have a query or a fragment, got '" + text + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw node.error("not a URL: " + e.getMessage());
        }
    }

    /** {@code models:} of a worker: catalog ids (aliases accepted); absent means every model of the catalog. */
    private static List<String> models(Section s, ModelCatalog catalog) {
        List<ConfigNode> names = s.strings("models");
        if (names.isEmpty()) {
            return catalog.models().stream().map(ModelInfo::id).toList();
        }
        Set<String> ids = new LinkedHashSet<>();
        for (ConfigNode name : names) {
            ModelInfo model = catalog.find(name.text());
            if (model == null) {
                throw name.error("not a model of the catalog: " + catalog.models().stream().map(ModelInfo::id).toList());
            }
            ids.add(model.id());
        }
        return List.copyOf(ids);
    }

    private static List<ServerConfig.SimulatedWorkers> simulated(List<ConfigNode> items, ModelCatalog catalog) {
        List<ServerConfig.SimulatedWorkers> groups = new ArrayList<>();
        for (ConfigNode item : items) {
            Section s = new Section(item);
            int count = (int) s.integer("count", 1, 1, 256);
            List<String> models = models(s, catalog);
            SimConfig.Builder speed = SimConfig.builder();
            try {
                // each speed is checked by the simulator's own setter
                if (s.has("inter_token_millis")) {
                    speed.interTokenMillis((int) s.integer("inter_token_millis", 0, 0, 60_000));
                }
                if (s.has("prefill_micros_per_token")) {
                    speed.prefillMicrosPerToken((int) s.integer("prefill_micros_per_token", 0, 0, 1_000_000));
                }
                if (s.has("overhead_millis")) {
                    speed.overheadMillis((int) s.integer("overhead_millis", 0, 0, 60_000));
                }
                if (s.has("max_running")) {
                    speed.maxRunning((int) s.integer("max_running", 0, 1, 1_000_000));
                }
                if (s.has("kv_cache_tokens")) {
                    speed.kvCacheTokens((int) s.integer("kv_cache_tokens", 0, 1, Integer.MAX_VALUE));
                }
                if (s.has("transcription_micros_per_audio_second")) {
                    speed.transcriptionMicrosPerAudioSecond(
                            (int) s.integer("transcription_micros_per_audio_second", 0, 0, 60_000_000));
                }
                if (s.has("speech_micros_per_audio_second")) {
                    speed.speechMicrosPerAudioSecond((int) s.integer("speech_micros_per_audio_second", 0, 0, 60_000_000));
                }
            } catch (IllegalArgumentException e) {
                throw item.error(e.getMessage());
            }
            s.finish();
            groups.add(new ServerConfig.SimulatedWorkers(count, models, speed.build()));
        }
        return groups;
    }

    private static ServerConfig.Backends backends(Section s) {
        ConfigNode redisNode = s.get("redis");
        String redis = s.string("redis", null);
        ConfigNode postgresNode = s.get("postgres");
        String postgres = s.string("postgres", null);
        s.finish();
        if (redis != null && !redis.startsWith("redis://") && !redis.startsWith("rediss://")) {
            throw redisNode.error("must be a redis:// or rediss:// URI");
        }
        if (postgres != null && !postgres.startsWith("jdbc:postgresql://")) {
            throw postgresNode.error("must be a jdbc:postgresql:// URL");
        }
        return new ServerConfig.Backends(redis, postgres);
    }

    private static List<ServerConfig.Account> accounts(List<ConfigNode> items, Map<String, RateLimits> tiers,
                                                       ModelCatalog catalog) {
        List<ServerConfig.Account> accounts = new ArrayList<>();
        Set<String> accountIds = new HashSet<>();
        Set<String> keyIds = new HashSet<>();
        Set<ApiKeyHash> hashes = new HashSet<>();
        for (ConfigNode item : items) {
            Section s = new Section(item);
            String id = name(s, "id");
            if (!accountIds.add(id)) {
                throw s.get("id").error("a second account with this id");
            }
            ConfigNode tierNode = s.get("tier");
            String tier = s.string("tier", ApiPrincipal.DEFAULT_TIER);
            if (!tiers.containsKey(tier)) {
                throw tierNode.error("not a tier: " + tiers.keySet());
            }
            long balance = s.integer("balance_micros", 0, 0, Long.MAX_VALUE);
            List<ServerConfig.Key> keys = new ArrayList<>();
            for (ConfigNode keyItem : s.list("keys")) {
                Section k = new Section(keyItem);
                String keyId = name(k, "id");
                if (!keyIds.add(keyId)) {
                    throw k.get("id").error("a second key with this id");
                }
                ConfigNode hashNode = k.get("sha256");
                String hex = k.requiredString("sha256").toLowerCase(Locale.ROOT);
                if (!HEX_HASH.matcher(hex).matches()) {
                    throw hashNode.error("must be the key's SHA-256 as 64 hex digits "
                            + "(printf %s \"$KEY\" | sha256sum), never the key itself");
                }
                ApiKeyHash hash = ApiKeyHash.fromHex(hex);
                if (!hashes.add(hash)) {
                    throw hashNode.error("the same key is listed twice");
                }
                Set<String> models = new LinkedHashSet<>();
                for (ConfigNode name : k.strings("models")) {
                    ModelInfo model = catalog.find(name.text());
                    if (model == null) {
                        throw name.error("not a model of the catalog");
                    }
                    models.add(model.id());
                }
                k.finish();
                keys.add(new ServerConfig.Key(keyId, hash, models));
            }
            s.finish();
            accounts.add(new ServerConfig.Account(id, tier, balance, keys));
        }
        return accounts;
    }

    private static String name(Section s, String key) {
        String name = s.requiredString(key);
        if (!NAME.matcher(name).matches()) {
            throw s.get(key).error("not a usable name (letters, digits, '.', '_', ':', '-'; at most 128), got '"
                    + name + "'");
        }
        return name;
    }
}

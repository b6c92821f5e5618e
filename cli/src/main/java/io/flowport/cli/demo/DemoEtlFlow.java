package io.flowport.cli.demo;

import io.flowport.core.Flow;
import io.flowport.core.FlowProvider;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The demo flow {@code demo-etl}: read a CSV of sales (the bundled one unless {@code input} names a file),
 * clean and price each region's records in parallel tasks, aggregate them, and write a report file.
 */
public final class DemoEtlFlow implements FlowProvider {

    /** The flow's name. */
    public static final String NAME = "demo-etl";
    /** The regions of the bundled data; one transform task each. */
    public static final List<String> REGIONS = List.of("north", "south", "east", "west");

    /** One sales line. */
    public record Sale(String date, String region, String product, int units, BigDecimal unitPrice) {
        BigDecimal revenue() {
            return unitPrice.multiply(BigDecimal.valueOf(units));
        }
    }

    /** What a transform task hands on: the good records of its region and the rejected lines. */
    public record Cleaned(String region, List<Sale> sales, List<String> rejected) {
    }

    /** The aggregate: revenue by region and by product, and every rejected line. */
    public record Totals(Map<String, BigDecimal> byRegion, Map<String, BigDecimal> byProduct, int records,
                         List<String> rejected) {
    }

    @Override
    public List<Flow> flows() {
        return List.of(flow());
    }

    /** Builds the flow. */
    public static Flow flow() {
        Flow.Builder b = Flow.builder(NAME)
                .parameter("input", String.class, "")
                .parameter("output", String.class, "flowport-demo-report.txt")
                .parameter("taxRate", Double.class, 0.2)
                .parameter("latencyMs", Integer.class, 300)
                .task("extract").retries(2, java.time.Duration.ofMillis(200)).run(ctx -> {
                    pause(ctx.parameter("latencyMs", Integer.class));
                    return readLines(ctx.parameter("input", String.class));
                });
        List<String> transforms = new ArrayList<>();
        for (String region : REGIONS) {
            String name = "transform-" + region;
            transforms.add(name);
            b.task(name).after("extract").timeout(java.time.Duration.ofSeconds(30)).run(ctx -> {
                pause(ctx.parameter("latencyMs", Integer.class));
                @SuppressWarnings("unchecked")
                List<String> lines = (List<String>) ctx.upstream("extract");
                return clean(region, lines, ctx.parameter("taxRate", Double.class));
            });
        }
        b.task("aggregate").after(transforms).run(ctx -> {
            pause(ctx.parameter("latencyMs", Integer.class) / 2);
            List<Cleaned> parts = new ArrayList<>();
            for (Object o : ctx.upstreamResults().values()) {
                parts.add((Cleaned) o);
            }
            return aggregate(parts);
        });
        b.task("report").after("aggregate").run(ctx -> {
            Path out = Paths.get(ctx.parameter("output", String.class)).toAbsolutePath();
            Files.writeString(out, render(ctx.flowRunId(), ctx.upstream("aggregate", Totals.class)));
            return out.toString();
        });
        return b.build();
    }

    static List<String> readLines(String input) throws IOException {
        if (input == null || input.isBlank()) {
            try (InputStream in = DemoEtlFlow.class.getResourceAsStream("/demo/sales.csv")) {
                if (in == null) {
                    throw new IOException("the bundled demo/sales.csv is missing from the class path");
                }
                return read(in);
            }
        }
        try (InputStream in = Files.newInputStream(Paths.get(input))) {
            return read(in);
        }
    }

    private static List<String> read(InputStream in) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            String header = r.readLine();
            if (header == null || !header.startsWith("date,region,product,units,unit_price")) {
                throw new IOException("expected a CSV header 'date,region,product,units,unit_price', got: " + header);
            }
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        }
    }

    /** Keeps the region's valid lines and adds tax to the unit price; rejects malformed lines. */
    static Cleaned clean(String region, List<String> lines, double taxRate) {
        List<Sale> sales = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        BigDecimal factor = BigDecimal.ONE.add(BigDecimal.valueOf(taxRate));
        for (String line : lines) {
            String[] f = line.split(",", -1);
            if (f.length != 5 || !f[1].equals(region)) {
                continue;
            }
            try {
                int units = Integer.parseInt(f[3].trim());
                if (units <= 0) {
                    rejected.add(line + "  (units must be positive)");
                    continue;
                }
                BigDecimal price = new BigDecimal(f[4].trim()).multiply(factor).setScale(2, RoundingMode.HALF_UP);
                sales.add(new Sale(f[0], f[1], f[2], units, price));
            } catch (NumberFormatException e) {
                rejected.add(line + "  (not a number)");
            }
        }
        return new Cleaned(region, sales, rejected);
    }

    static Totals aggregate(List<Cleaned> parts) {
        Map<String, BigDecimal> byRegion = new TreeMap<>();
        Map<String, BigDecimal> byProduct = new TreeMap<>();
        List<String> rejected = new ArrayList<>();
        int records = 0;
        for (Cleaned c : parts) {
            rejected.addAll(c.rejected());
            for (Sale s : c.sales()) {
                records++;
                byRegion.merge(s.region(), s.revenue(), BigDecimal::add);
                byProduct.merge(s.product(), s.revenue(), BigDecimal::add);
            }
        }
        return new Totals(byRegion, byProduct, records, rejected);
    }

    static String render(String runId, Totals t) {
        StringBuilder sb = new StringBuilder();
        sb.append("Sales report (flow run ").append(runId).append(")\n\n");
        sb.append(String.format("%-12s %14s%n", "region", "revenue"));
        t.byRegion().forEach((k, v) -> sb.append(String.format("%-12s %14s%n", k, v.toPlainString())));
        sb.append(String.format("%n%-12s %14s%n", "product", "revenue"));
        t.byProduct().forEach((k, v) -> sb.append(String.format("%-12s %14s%n", k, v.toPlainString())));
        BigDecimal total = t.byRegion().values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
        sb.append(String.format("%n%-12s %14s%n", "total", total.toPlainString()));
        sb.append("\n").append(t.records()).append(" records, ").append(t.rejected().size()).append(" rejected\n");
        for (String r : t.rejected()) {
            sb.append("  rejected: ").append(r).append('\n');
        }
        return sb.toString();
    }

    private static void pause(int millis) throws InterruptedException {
        // stands in for the I/O latency of a real source or sink, so the parallel transforms are visible
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }
}

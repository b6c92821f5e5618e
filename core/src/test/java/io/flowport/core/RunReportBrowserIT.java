package io.flowport.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The run report as a real browser draws it: headless Chromium, its DOM after the scripts ran, a screenshot. */
@ExtendWith(Chromium.class)
class RunReportBrowserIT {

    private static final Pattern ROW = Pattern.compile(
            "<div class=\"row( crit)?\" data-task=\"([^\"]+)\" data-state=\"([^\"]+)\">(.*?)</svg></div>", Pattern.DOTALL);
    private static final Pattern BAR = Pattern.compile("<rect[^>]*class=\"bar[^\"]*\"[^>]*data-state=\"([^\"]+)\"");

    @Test
    void oneBarPerAttemptColouredByStateWithTheCriticalPathAndANonBlankPicture(@TempDir Path dir) throws Exception {
        AtomicInteger tries = new AtomicInteger();
        Flow flow = Flow.builder("browser-check")
                .parameter("region", String.class, "north")
                .task("extract").retries(2, Duration.ofMillis(20)).run(ctx -> {
                    Thread.sleep(30);
                    if (tries.incrementAndGet() < 3) {
                        throw new IllegalStateException("source busy (try " + tries.get() + ")");
                    }
                    return 1;
                })
                .task("clean").after("extract").run(ctx -> {
                    Thread.sleep(60);
                    return 1;
                })
                .task("enrich").after("extract").run(ctx -> {
                    Thread.sleep(10);
                    throw new IllegalArgumentException("no such column");
                })
                .task("slow").after("extract").timeout(Duration.ofMillis(40)).run(ctx -> {
                    Thread.sleep(5_000);
                    return 1;
                })
                .task("load").after("clean").run(ctx -> {
                    Thread.sleep(20);
                    return 1;
                })
                .task("publish").after("load", "enrich").run(ctx -> 1)
                .build();
        FlowRunResult r = Executor.parallel(3).execute(flow, FlowRun.create());
        Path page = RunReport.write(r, dir.resolve("run.html"));

        String dom = Chromium.dumpDom(page, dir, 1280, 900);
        assertThat(dom).contains("data-rendered=\"true\"");
        Matcher rows = ROW.matcher(dom);
        java.util.Map<String, String> stateByTask = new java.util.HashMap<>();
        java.util.Map<String, java.util.List<String>> barsByTask = new java.util.HashMap<>();
        Set<String> critical = new HashSet<>();
        while (rows.find()) {
            stateByTask.put(rows.group(2), rows.group(3));
            if (rows.group(1) != null) {
                critical.add(rows.group(2));
            }
            Matcher bars = BAR.matcher(rows.group(4));
            java.util.List<String> states = new java.util.ArrayList<>();
            while (bars.find()) {
                states.add(bars.group(1));
            }
            barsByTask.put(rows.group(2), states);
        }
        assertThat(stateByTask).containsOnlyKeys("extract", "clean", "enrich", "slow", "load", "publish");
        assertThat(stateByTask).containsEntry("extract", "Success").containsEntry("enrich", "Failed")
                .containsEntry("slow", "TimedOut").containsEntry("publish", "Skipped").containsEntry("load", "Success");
        // one bar per attempt: the retried task's failed attempts are drawn beside its successful one
        assertThat(barsByTask.get("extract")).containsExactly("Failed", "Failed", "Success");
        assertThat(barsByTask.get("enrich")).containsExactly("Failed");
        assertThat(barsByTask.get("slow")).containsExactly("TimedOut");
        assertThat(barsByTask.get("publish")).isEmpty();
        int attempts = r.tasks().values().stream().mapToInt(TaskRun::attempts).sum();
        assertThat(barsByTask.values().stream().mapToInt(java.util.List::size).sum()).isEqualTo(attempts).isEqualTo(7);
        assertThat(dom).contains("data-attempts=\"7\"");
        assertThat(critical).containsExactlyInAnyOrder("extract", "clean", "load");
        assertThat(dom).contains("class=\"retry-gap\"").contains("no such column").contains("source busy (try 1)")
                .contains("<th>region</th>").contains("data-state=\"Failed\"");

        Path png = Chromium.screenshot(page, dir, 1280, 900, dir.resolve("run.png"));
        BufferedImage img = ImageIO.read(png.toFile());
        Set<Integer> colours = new HashSet<>();
        long notWhite = 0;
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                if (rgb != 0xffffff) {
                    notWhite++;
                }
            }
        }
        long sampled = (long) ((img.getHeight() + 1) / 2) * ((img.getWidth() + 1) / 2);
        System.out.printf("run report screenshot: %dx%d, %d distinct colours, %.1f %% not white%n", img.getWidth(),
                img.getHeight(), colours.size(), 100.0 * notWhite / sampled);
        assertThat(colours.size()).as("distinct colours").isGreaterThan(20);
        assertThat((double) notWhite / sampled).as("share of pixels that are not white").isGreaterThan(0.05);
        // the state colours of the bars are in the picture
        assertThat(colours).contains(0x2e9e5b, 0xd9443c, 0xe08a1e);
    }

    @Test
    void aTenThousandTaskRunRendersInUnderTwoSecondsFromAFileOfAFewMegabytes(@TempDir Path dir) throws Exception {
        int n = 10_000;
        Flow.Builder b = Flow.builder("ten-thousand").task("task-0", ctx -> null);
        for (int i = 1; i < n; i++) {
            // layers of fan-out: each task waits for one of the previous hundred
            b.task("task-" + i).after("task-" + Math.max(0, i - 1 - (i * 7919 % 100))).run(ctx -> null);
        }
        FlowRunResult r = Executor.parallel(2).execute(b.build(), FlowRun.create());
        assertThat(r.isSuccess()).isTrue();
        long t0 = System.nanoTime();
        Path page = RunReport.write(r, dir.resolve("big.html"));
        long writeMs = (System.nanoTime() - t0) / 1_000_000;
        long size = Files.size(page);

        long b0 = System.nanoTime();
        String dom = Chromium.dumpDom(page, dir, 1280, 900);
        long browserMs = (System.nanoTime() - b0) / 1_000_000;
        Matcher m = Pattern.compile("data-render-ms=\"([0-9.]+)\"").matcher(dom);
        assertThat(m.find()).as("the page says when it finished drawing").isTrue();
        double renderMs = Double.parseDouble(m.group(1));
        int bars = 0;
        Matcher bar = BAR.matcher(dom);
        while (bar.find()) {
            bars++;
        }
        System.out.printf("run report of %,d tasks: %,d bytes (%.2f MB), written in %d ms; rendered in %.0f ms after"
                + " navigation start (chromium process incl. start-up: %d ms); %d rows drawn of %,d%n", n, size,
                size / 1e6, writeMs, renderMs, browserMs, bars, n);
        assertThat(size).as("report size in bytes").isLessThan(3_000_000);
        assertThat(renderMs).as("render time in ms").isLessThan(2000);
        assertThat(dom).contains("data-attempts=\"10000\"").contains("data-tasks=\"10000\"");
        assertThat(bars).as("bars drawn: the rows in view, not all 10,000").isBetween(10, 400);
    }
}

// The script of report.html (and compare.html): draws the embedded data with uPlot (inlined in
// the page). It records its own errors in <body data-errors>, the charts drawn in
// data-charts, each chart's axis ticks in data-xticks / data-yticks, and sets data-done.
(function () {
  "use strict";
  const errors = [];
  function record(m) {
    errors.push(String(m));
    document.body.dataset.errors = errors.join(" | ");
  }
  globalThis.addEventListener("error", function (e) {
    record(e.message);
  });
  const origError = console.error;
  console.error = function () {
    record(Array.prototype.join.call(arguments, " "));
    origError.apply(console, arguments);
  };
  let D;
  try {
    D = JSON.parse(document.getElementById("data").textContent);
  } catch (e) {
    record("the page's data is not valid JSON: " + e.message);
    document.body.dataset.done = "1";
    return;
  }
  const drawn = [];
  const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf"];
  const WIDTH = Math.max(480, Math.min(1000, document.body.clientWidth - 40));

  // ---- units ----------------------------------------------------------------------------
  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return "";
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1000) return Math.round(v).toLocaleString("en-US");
    return String(+v.toPrecision(3));
  }
  /** A binary unit for bytes (or bytes/s) whose ticks will be round: [divisor, name]. */
  function byteUnit(max) {
    const names = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (max >= 1024 && i < names.length - 1) (max /= 1024), i++;
    return [Math.pow(1024, i), names[i]];
  }
  function msText(v) {
    return num(v) + " ms";
  }

  // ---- charts -----------------------------------------------------------------------------
  function host(id) {
    const el = document.getElementById(id);
    const div = document.createElement("div");
    div.className = "chart";
    el.appendChild(div);
    return div;
  }
  /** An axis whose tick labels carry the unit and are recorded on the chart's element. */
  function axis(div, which, label, fmt, extra) {
    const a = {
      label: label,
      values: function (_u, splits) {
        const out = splits.map(function (v) {
          return v === null ? "" : fmt(v);
        });
        div.dataset[which + "ticks"] = out.filter(Boolean).join(";");
        return out;
      },
    };
    for (const k in extra || {}) a[k] = extra[k];
    return a;
  }
  /** Whole-epoch ticks ("epoch 3"), none between. */
  function epochAxis(div) {
    return axis(div, "x", "epoch", function (v) {
      return Number.isInteger(v) ? "epoch " + v : "";
    }, integerX);
  }
  /** The AU axis, 0–100 %. */
  function auAxis(div) {
    return axis(div, "y", "AU (%)", function (v) {
      return num(v) + " %";
    }, { incrs: [10, 20, 25, 50] });
  }
  /** The `metric.au` threshold as a dashed line (a series, so the legend names it). */
  function thresholdSeries() {
    return {
      label: "threshold " + num(D.threshold) + " %",
      stroke: "#000",
      dash: [6, 4],
      width: 1.5,
      points: { show: false },
    };
  }
  function plot(name, div, opts, data) {
    opts.width = opts.width || WIDTH;
    opts.height = opts.height || 260;
    const u = new uPlot(opts, data, div);
    div.dataset.chart = name;
    drawn.push(name);
    return u;
  }
  const integerX = { incrs: [1, 2, 5, 10, 20, 50, 100] };
  /** A y scale from zero (bars and rates are read against zero). */
  const fromZero = {
    range: function (_u, _min, max) {
      return [0, uPlot.rangeNum(0, max > 0 ? max : 1, 0.1, true)[1]];
    },
  };

  /** Vertical markers (epochs, checkpoints) drawn after the series. */
  function markersHook(markers) {
    return function (u) {
      const ctx = u.ctx;
      ctx.save();
      markers.forEach(function (m) {
        const x = Math.round(u.valToPos(m.t, "x", true));
        ctx.strokeStyle = m.kind === "epoch" ? "#888" : m.kind === "save" ? "#d62728" : "#2ca02c";
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(x, u.bbox.top);
        ctx.lineTo(x, u.bbox.top + u.bbox.height);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = 11 * devicePixelRatio + "px system-ui, sans-serif";
        ctx.fillText(m.label, x + 3, u.bbox.top + 12 * devicePixelRatio);
      });
      ctx.restore();
    };
  }

  function epochCharts() {
    const E = D.epochs;
    if (!E.length) return;
    const xs = [0.5].concat(
      E.map(function (e) {
        return e.epoch;
      }),
      [E.length + 0.5],
    );
    function col(f) {
      return [null].concat(E.map(f), [null]);
    }
    const bars = function (align) {
      return uPlot.paths.bars({ size: [0.35, 80], align: align });
    };
    const div = host("epochs");
    plot("epochs", div, {
      scales: { x: { time: false, range: [0.5, E.length + 0.5] }, y: fromZero },
      axes: [
        epochAxis(div),
        axis(div, "y", "samples/s", function (v) {
          return num(v) + "/s";
        }, { size: 70 }),
      ],
      series: [
        {},
        {
          label: "DLIO throughput (samples/s)",
          fill: COLORS[0],
          stroke: COLORS[0],
          paths: bars(-1),
          points: { show: false },
        },
        {
          label: "measured (samples/s)",
          fill: COLORS[1],
          stroke: COLORS[1],
          paths: bars(1),
          points: { show: false },
        },
      ],
    }, [
      xs,
      col(function (e) {
        return e.throughput;
      }),
      col(function (e) {
        return e.measured;
      }),
    ]);
    const au = host("au");
    au.dataset.threshold = String(D.threshold);
    plot("au", au, {
      scales: { x: { time: false, range: [0.5, E.length + 0.5] }, y: { range: [0, 100] } },
      axes: [
        epochAxis(au),
        auAxis(au),
      ],
      series: [
        {},
        {
          label: "AU ≥ threshold (PASS)",
          fill: "#2ca02c",
          stroke: "#2ca02c",
          paths: bars(0),
          points: { show: false },
        },
        {
          label: "AU < threshold (FAIL)",
          fill: "#d62728",
          stroke: "#d62728",
          paths: bars(0),
          points: { show: false },
        },
        thresholdSeries(),
      ],
    }, [
      xs,
      col(function (e) {
        return e.pass ? e.au : null;
      }),
      col(function (e) {
        return e.pass ? null : e.au;
      }),
      xs.map(function () {
        return D.threshold;
      }),
    ]);
    const t = document.createElement("table");
    t.className = "verdicts";
    t.innerHTML =
      "<tr><th>epoch</th><th>AU (DLIO)</th><th>samples/s (DLIO)</th><th>samples/s (measured)</th><th>read</th><th>verdict</th></tr>";
    E.forEach(function (e) {
      const r = t.insertRow();
      const unit = byteUnit(e.bytesPerSec);
      [
        String(e.epoch),
        num(e.au) + " %",
        num(e.throughput),
        num(e.measured),
        num(e.bytesPerSec / unit[0]) + " " + unit[1] + "/s",
        e.pass ? "PASS" : "FAIL",
      ]
        .forEach(function (v, i) {
          const c = r.insertCell();
          c.textContent = v;
          if (i === 5) c.className = e.pass ? "pass" : "fail";
        });
    });
    document.getElementById("au").appendChild(t);
  }

  function timelineChart() {
    const T = D.timeline;
    if (!T) return;
    const unit = byteUnit(Math.max.apply(null, T.bytesPerSec.concat([1])));
    const div = host("timeline");
    div.dataset.markers = String(T.markers.length);
    plot("timeline", div, {
      scales: { x: { time: false }, y: fromZero },
      axes: [
        axis(div, "x", "time since start", function (v) {
          return num(v) + " s";
        }),
        axis(div, "y", unit[1] + "/s", function (v) {
          return num(v) + " " + unit[1] + "/s";
        }, { size: 90 }),
      ],
      series: [{}, {
        label: "read (" + unit[1] + "/s, all ranks)",
        stroke: COLORS[0],
        fill: "rgba(31,119,180,0.15)",
        paths: uPlot.paths.stepped({ align: 1 }),
        points: { show: false },
      }],
      hooks: { draw: [markersHook(T.markers)] },
    }, [
      T.t,
      T.bytesPerSec.map(function (b) {
        return b / unit[0];
      }),
    ]);
  }

  function latencyChart() {
    const names = Object.keys(D.latency).filter(function (k) {
      return D.latency[k].ms.length > 0;
    });
    if (!names.length) return;
    const tables = names.map(function (k) {
      return [D.latency[k].ms, D.latency[k].frac];
    });
    const data = uPlot.join(tables);
    const div = host("latency");
    plot("latency", div, {
      width: Math.min(WIDTH, 560),
      scales: { x: { time: false, distr: 3 }, y: { range: [0, 1] } },
      axes: [
        axis(div, "x", "latency (ms, log)", msText),
        axis(div, "y", "fraction ≤ latency", function (v) {
          return num(v * 100) + " %";
        }, { incrs: [0.25, 0.5] }),
      ],
      series: [{}].concat(names.map(function (k, i) {
        return {
          label: k,
          stroke: COLORS[i % COLORS.length],
          spanGaps: true,
          paths: uPlot.paths.stepped({ align: 1 }),
          points: { show: false },
        };
      })),
    }, data);
  }

  function percentileTable(where) {
    const P = D.percentiles;
    const host2 = document.getElementById(where);
    if (!P.length) return;
    const t = document.createElement("table");
    t.innerHTML =
      "<tr><th>stage</th><th>count</th><th>mean</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>";
    P.forEach(function (p) {
      const r = t.insertRow();
      [
        p.stage,
        num(p.count),
        msText(p.mean),
        msText(p.p50),
        msText(p.p95),
        msText(p.p99),
        msText(p.max),
      ]
        .forEach(function (v) {
          r.insertCell().textContent = v;
        });
    });
    host2.appendChild(t);
  }

  function rankCharts() {
    if (
      !D.ranks.some(function (r) {
        return r.t.length;
      })
    ) return;
    D.ranks.forEach(function (r) {
      const div = host("ranks");
      plot("rank " + r.rank, div, {
        height: 170,
        title: "rank " + r.rank,
        scales: { x: { time: false }, y: fromZero },
        axes: [
          axis(div, "x", "time since start", function (v) {
            return num(v) + " s";
          }),
          axis(div, "y", "per step", msText, { size: 70 }),
        ],
        series: [
          {},
          {
            label: "waiting for data (ms)",
            stroke: COLORS[1],
            fill: "rgba(255,127,14,0.25)",
            paths: uPlot.paths.stepped({ align: 1 }),
            points: { show: false },
          },
          {
            label: "compute (ms)",
            stroke: COLORS[0],
            paths: uPlot.paths.stepped({ align: 1 }),
            points: { show: false },
          },
        ],
        hooks: { draw: [markersHook(D.timeline ? D.timeline.markers : [])] },
      }, [
        r.t,
        r.wait.map(function (s) {
          return s * 1000;
        }),
        r.compute.map(function (s) {
          return s * 1000;
        }),
      ]);
    });
    if (D.moreRanks) {
      const p = document.createElement("p");
      p.textContent = D.moreRanks + " more ranks not drawn (report.json has every rank's figures).";
      document.getElementById("ranks").appendChild(p);
    }
  }

  function checkpointCharts() {
    const C = D.checkpoints;
    const el = document.getElementById("checkpoints");
    if (!C.length) {
      el.textContent = "no checkpoints in this run";
      return;
    }
    const xs = C.map(function (_, i) {
      return i + 1;
    });
    const div = host("checkpoints");
    function col(kind, f) {
      return C.map(function (k) {
        return k.kind === kind ? f(k) : null;
      });
    }
    const bars = uPlot.paths.bars({ size: [0.6, 40] });
    plot("checkpoints", div, {
      scales: { x: { time: false, range: [0.5, C.length + 0.5] }, y: fromZero },
      axes: [
        axis(div, "x", "operation (per rank)", function (v) {
          return Number.isInteger(v) ? "#" + v : "";
        }, integerX),
        axis(div, "y", "GB/s", function (v) {
          return num(v) + " GB/s";
        }, { size: 80 }),
      ],
      series: [
        {},
        {
          label: "save (GB/s)",
          fill: "#d62728",
          stroke: "#d62728",
          paths: bars,
          points: { show: false },
        },
        {
          label: "restore (GB/s)",
          fill: "#2ca02c",
          stroke: "#2ca02c",
          paths: bars,
          points: { show: false },
        },
      ],
    }, [
      xs,
      col("save", function (k) {
        return k.gbps;
      }),
      col("restore", function (k) {
        return k.gbps;
      }),
    ]);
    const t = document.createElement("table");
    t.innerHTML =
      "<tr><th>#</th><th>rank</th><th>kind</th><th>epoch/step</th><th>size</th><th>duration</th><th>throughput</th></tr>";
    C.forEach(function (k, i) {
      const r = t.insertRow();
      const unit = byteUnit(k.bytes);
      [
        String(i + 1),
        String(k.rank),
        k.kind,
        k.epoch + "/" + k.step,
        num(k.bytes / unit[0]) + " " + unit[1],
        msText(k.seconds * 1000),
        num(k.gbps) + " GB/s",
      ]
        .forEach(function (v) {
          r.insertCell().textContent = v;
        });
    });
    el.appendChild(t);
  }

  function facts() {
    document.getElementById("title").textContent = "dl-driver report: " + D.title;
    const t = document.getElementById("facts");
    D.headline.forEach(function (row) {
      const r = t.insertRow();
      r.insertCell().textContent = row[0];
      const c = r.insertCell();
      c.textContent = row[1];
      if (/: PASS$/.test(row[1])) c.className = "pass";
      if (/: FAIL$/.test(row[1])) c.className = "fail";
    });
  }

  // ---- compare (compare --html) -------------------------------------------------------------
  function compareCharts() {
    document.getElementById("title").textContent = "dl-driver compare: " + D.title;
    const runs = document.getElementById("runs");
    runs.innerHTML = "<tr><th>run</th><th>results</th><th>benchmark</th><th>status</th></tr>";
    D.runs.forEach(function (r) {
      const row = runs.insertRow();
      [r.name, r.label, r.benchmark, r.status].forEach(function (v) {
        row.insertCell().textContent = v === undefined ? "" : String(v);
      });
    });
    const n = Math.max.apply(
      null,
      D.epochs.map(function (e) {
        return e.epoch.length;
      }).concat([0]),
    );
    if (n > 0) {
      const xs = [];
      for (let i = 1; i <= n; i++) xs.push(i);
      const col = function (r, key) {
        return xs.map(function (x) {
          const i = r.epoch.indexOf(x);
          return i < 0 ? null : r[key][i];
        });
      };
      const k = D.runs.length;
      // Two runs: bars left and right of each epoch; more: one line with points per run.
      const look = function (i) {
        if (k === 2) {
          return {
            paths: uPlot.paths.bars({ size: [0.35, 80], align: i === 0 ? -1 : 1 }),
            points: { show: false },
          };
        }
        return { width: 2, points: { show: true, size: 7 } };
      };
      const series = function (key) {
        return [{}].concat(D.runs.map(function (r, i) {
          const c = COLORS[i % COLORS.length];
          const sr = {
            label: r.name + " (" + (key === "au" ? "AU %" : "samples/s") + ")",
            stroke: c,
            fill: k === 2 ? c : undefined,
          };
          const l = look(i);
          for (const p in l) sr[p] = l[p];
          return sr;
        }));
      };
      const tdiv = host("cmp-throughput");
      plot(
        "compare throughput",
        tdiv,
        {
          scales: { x: { time: false, range: [0.5, n + 0.5] }, y: fromZero },
          axes: [
            epochAxis(tdiv),
            axis(tdiv, "y", "samples/s", function (v) {
              return num(v) + "/s";
            }, { size: 70 }),
          ],
          series: series("measured"),
        },
        [xs].concat(D.epochs.map(function (r) {
          return col(r, "measured");
        })),
      );
      const adiv = host("cmp-au");
      adiv.dataset.threshold = String(D.threshold);
      const auSeries = series("au");
      auSeries.push(thresholdSeries());
      plot(
        "compare au",
        adiv,
        {
          scales: { x: { time: false, range: [0.5, n + 0.5] }, y: { range: [0, 100] } },
          axes: [
            epochAxis(adiv),
            auAxis(adiv),
          ],
          series: auSeries,
        },
        [xs].concat(
          D.epochs.map(function (r) {
            return col(r, "au");
          }),
          [xs.map(function () {
            return D.threshold;
          })],
        ),
      );
    }
    const t = document.getElementById("fields");
    t.innerHTML = "<tr><th>field</th><th>unit</th>" +
      D.runs.map(function (r) {
        return "<th>" + r.name + "</th>";
      }).join("") +
      D.runs.slice(1).map(function (r) {
        return "<th>" + r.name.slice(4) + "/A</th>";
      }).join("") + "</tr>";
    D.fields.forEach(function (f) {
      const row = t.insertRow();
      row.insertCell().textContent = f.field +
        (f.better === "higher" ? " ↑" : f.better === "lower" ? " ↓" : "");
      row.insertCell().textContent = f.unit;
      f.values.forEach(function (v) {
        const bytes = typeof v === "number" && /^B(\/s)?$/.test(f.unit);
        const unit = bytes ? byteUnit(Math.abs(v)) : null;
        row.insertCell().textContent = bytes
          ? num(v / unit[0]) + " " + unit[1] + f.unit.slice(1)
          : typeof v === "number"
          ? num(v)
          : v === null
          ? "–"
          : String(v);
      });
      f.ratios.forEach(function (r) {
        const c = row.insertCell();
        c.textContent = r === null ? "" : r.toFixed(2) + "×";
        if (r !== null && f.better && Math.abs(r - 1) >= 0.05) {
          c.className = (r > 1) === (f.better === "higher") ? "pass" : "fail";
        }
      });
    });
  }

  function run(step) {
    try {
      step();
    } catch (e) {
      record(e && e.stack ? e.stack : e);
    }
  }
  if (D.kind === "compare") {
    run(compareCharts);
    document.body.dataset.charts = drawn.join(",");
    document.body.dataset.done = "1";
    return;
  }
  run(facts);
  if (D.kind === "training") {
    [epochCharts, timelineChart, latencyChart, rankCharts].forEach(run);
    run(function () {
      percentileTable("percentiles");
    });
  } else {
    document.querySelectorAll(".training").forEach(function (el) {
      el.hidden = true;
    });
    run(function () {
      percentileTable("checkpoint-percentiles");
    });
  }
  run(checkpointCharts);
  document.getElementById("config").textContent = D.config;
  document.body.dataset.charts = drawn.join(",");
  document.body.dataset.done = "1";
})();

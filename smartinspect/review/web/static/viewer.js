// Canvas viewer for X-ray scans: the stored 8/16-bit samples, window/level applied here, pan, zoom, overlays
// (material colours, detection boxes) and drawing boxes. Image coordinates are scan pixels throughout.
"use strict";

class ScanViewer {
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.width = opts.width;
    this.height = opts.height;
    this.maxValue = opts.bitDepth === 16 ? 65535 : 255;
    this.boxes = [];            // {class_name, box: [x1, y1, x2, y2], source}
    this.classColours = opts.classColours || {};
    this.showBoxes = true;
    this.showMaterials = false;
    this.invert = false;
    this.drawMode = false;
    this.onBoxDrawn = null;     // callback(box) when a box is drawn
    this.onChange = null;       // callback() after window/zoom changes
    this.scale = 1; this.offsetX = 0; this.offsetY = 0;
    this.image = document.createElement("canvas");  // full-resolution grey rendering (window applied)
    this.image.width = this.width; this.image.height = this.height;
    this.materials = null;      // an <img> of the material layer, when loaded
    this._bindPointer();
  }

  // Fetch the samples (gzip on the wire, decompressed by the browser) and draw the first frame.
  async load(url) {
    const response = await fetch(url, {credentials: "same-origin"});
    if (!response.ok) throw new Error(`scan pixels: HTTP ${response.status}`);
    const buffer = await response.arrayBuffer();
    if (buffer.byteLength !== this.width * this.height * 2) {
      throw new Error(`scan pixels: got ${buffer.byteLength} bytes for ${this.width}x${this.height}`);
    }
    this.samples = littleEndian() ? new Uint16Array(buffer) : swapToHost(buffer);
    this.autoWindow();
    this.fit();
  }

  loadMaterials(url) {
    return new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => { this.materials = img; this.render(); resolve(); };
      img.onerror = () => reject(new Error("material layer could not be loaded"));
      img.src = url;
    });
  }

  // Level/width in sample units; the LUT maps each possible sample to a packed RGBA grey.
  setWindow(level, width) {
    this.level = Math.round(Math.min(Math.max(level, 0), this.maxValue));
    this.window = Math.round(Math.min(Math.max(width, 1), this.maxValue + 1));
    const lut = new Uint32Array(this.maxValue + 1);
    const low = this.level - this.window / 2;
    for (let v = 0; v <= this.maxValue; v++) {
      let g = Math.round(((v - low) / this.window) * 255);
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      if (this.invert) g = 255 - g;
      lut[v] = (0xff000000 | (g << 16) | (g << 8) | g) >>> 0;
    }
    const ictx = this.image.getContext("2d");
    const data = ictx.createImageData(this.width, this.height);
    const out = new Uint32Array(data.data.buffer);
    const src = this.samples;
    for (let i = 0, n = src.length; i < n; i++) out[i] = lut[src[i]];
    ictx.putImageData(data, 0, 0);
    this.render();
    if (this.onChange) this.onChange();
  }

  // Window on the 0.5 and 99.5 percentiles of what is not open beam (air around the truck fills most of a
  // scan and would squeeze the cargo into a few light greys); air then saturates white. One histogram pass.
  autoWindow() {
    const hist = new Uint32Array(this.maxValue + 1);
    const src = this.samples;
    for (let i = 0, n = src.length; i < n; i++) hist[src[i]]++;
    const openBeam = percentile(hist, src.length, 0.999);
    let dense = 0;
    const limit = Math.floor(0.85 * openBeam);
    for (let v = 0; v < limit; v++) dense += hist[v];
    if (dense > 1000) hist.fill(0, limit); else dense = src.length;
    const lo = percentile(hist, dense, 0.005), hi = percentile(hist, dense, 0.995);
    this.setWindow((lo + hi) / 2, Math.max(hi - lo, 1));
  }

  fullWindow() { this.setWindow(this.maxValue / 2, this.maxValue + 1); }

  setInvert(on) { this.invert = on; this.setWindow(this.level, this.window); }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.max(1, Math.round(rect.width));
    this.canvas.height = Math.max(1, Math.round(rect.height));
  }

  fit() {
    this.resize();
    this.scale = Math.min(this.canvas.width / this.width, this.canvas.height / this.height);
    this.offsetX = (this.canvas.width - this.width * this.scale) / 2;
    this.offsetY = (this.canvas.height - this.height * this.scale) / 2;
    this.render();
  }

  // Zoom by `factor` keeping the image point under (cx, cy) canvas pixels fixed.
  zoom(factor, cx = this.canvas.width / 2, cy = this.canvas.height / 2) {
    const next = Math.min(Math.max(this.scale * factor, 0.05), 32);
    const [ix, iy] = this.toImage(cx, cy);
    this.scale = next;
    this.offsetX = cx - ix * next;
    this.offsetY = cy - iy * next;
    this.render();
    if (this.onChange) this.onChange();
  }

  actualSize() { this.zoom(1 / this.scale); }

  toImage(cx, cy) { return [(cx - this.offsetX) / this.scale, (cy - this.offsetY) / this.scale]; }

  render() {
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(this.scale, 0, 0, this.scale, this.offsetX, this.offsetY);
    ctx.imageSmoothingEnabled = this.scale < 1;  // at 1:1 and above, show the real pixels
    ctx.drawImage(this.image, 0, 0);
    if (this.showMaterials && this.materials) ctx.drawImage(this.materials, 0, 0);
    if (this.showBoxes) this._drawBoxes(ctx);
    if (this._rubber) this._drawBox(ctx, this._rubber, "#ffffff", "new");
  }

  _drawBoxes(ctx) {
    for (const b of this.boxes) this._drawBox(ctx, b.box, this.classColours[b.class_name] || "#ff3030", b.class_name);
  }

  _drawBox(ctx, box, colour, label) {
    const [x1, y1, x2, y2] = box;
    ctx.lineWidth = 2 / this.scale;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    ctx.font = `${12 / this.scale}px sans-serif`;
    ctx.fillStyle = colour;
    ctx.fillText(label, x1, y1 - 4 / this.scale);
  }

  sampleAt(ix, iy) {
    const x = Math.floor(ix), y = Math.floor(iy);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return null;
    return this.samples[y * this.width + x];
  }

  _bindPointer() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (e) => {
      c.setPointerCapture(e.pointerId);
      const [ix, iy] = this.toImage(e.offsetX, e.offsetY);
      drag = {x: e.offsetX, y: e.offsetY, ix, iy, ox: this.offsetX, oy: this.offsetY};
    });
    c.addEventListener("pointermove", (e) => {
      const [ix, iy] = this.toImage(e.offsetX, e.offsetY);
      if (this.onProbe) this.onProbe(ix, iy, this.sampleAt(ix, iy));
      if (!drag) return;
      if (this.drawMode) {
        this._rubber = normaliseBox([drag.ix, drag.iy, ix, iy], this.width, this.height);
      } else {
        this.offsetX = drag.ox + (e.offsetX - drag.x);
        this.offsetY = drag.oy + (e.offsetY - drag.y);
      }
      this.render();
    });
    c.addEventListener("pointerup", () => {
      const box = this._rubber;
      drag = null; this._rubber = null;
      if (this.drawMode && box && box[2] - box[0] >= 2 && box[3] - box[1] >= 2 && this.onBoxDrawn) this.onBoxDrawn(box);
      this.render();
    });
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX, e.offsetY);
    }, {passive: false});
  }
}

// The value below which a fraction `q` of the `total` counted samples lie.
function percentile(hist, total, q) {
  const target = q * total;
  let seen = 0;
  for (let v = 0; v < hist.length; v++) {
    seen += hist[v];
    if (seen > target) return v;
  }
  return hist.length - 1;
}

function normaliseBox(b, width, height) {
  const clamp = (v, hi) => Math.round(Math.min(Math.max(v, 0), hi));
  return [clamp(Math.min(b[0], b[2]), width), clamp(Math.min(b[1], b[3]), height),
          clamp(Math.max(b[0], b[2]), width), clamp(Math.max(b[1], b[3]), height)];
}

function littleEndian() { return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1; }

function swapToHost(buffer) {
  const view = new DataView(buffer), out = new Uint16Array(buffer.byteLength / 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint16(2 * i, true);
  return out;
}

window.ScanViewer = ScanViewer;
window.normaliseBox = normaliseBox;

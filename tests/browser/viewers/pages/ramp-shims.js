// Globals Ramp's UMD build expects that have no browser build on npm (see ramp.html).
window.cx = window.classNames;
window.sanitizeHtml = (value) => String(value);
window.reactErrorBoundary = {
  ErrorBoundary: class ErrorBoundary extends React.Component {
    constructor(props) {
      super(props);
      this.state = { error: null };
    }
    static getDerivedStateFromError(error) {
      return { error };
    }
    componentDidCatch(error) {
      console.error("Ramp component failed:", error);
    }
    render() {
      if (this.state.error) {
        const Fallback = this.props.FallbackComponent;
        return Fallback ? React.createElement(Fallback, { error: this.state.error, resetErrorBoundary: () => {} })
          : (this.props.fallback || null);
      }
      return this.props.children;
    }
  },
  useErrorBoundary: () => ({ showBoundary: (error) => { throw error; }, resetBoundary: () => {} }),
};
// Ramp's UMD build still calls require() once, for the video.js quality selector plugin, which ramp.html has
// already loaded from its browser build (it registers itself with the global videojs).
window.require = (name) => {
  if (name === "@silvermine/videojs-quality-selector") {
    return () => {};
  }
  throw new Error(`ramp-shims.js: no browser build for ${name}`);
};

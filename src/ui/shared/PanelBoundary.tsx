// Keeps a rendering failure inside one panel: the rest of the page (and the training) goes on.

import { Component, type ReactNode } from 'react'

export class PanelBoundary extends Component<{ name: string; children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null }

  static getDerivedStateFromError(error: Error) {
    return { error }
  }

  render() {
    if (!this.state.error) return this.props.children
    return (
      <section className="card notice-error" role="alert">
        <strong>The {this.props.name} panel failed to draw:</strong> {this.state.error.message}{' '}
        <button type="button" className="btn btn-small" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </section>
    )
  }
}

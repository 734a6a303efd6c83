// Page layout: header; left the LR schedule, the ε curve, Start, the schedule comparison and
// the configuration; right the live run, charts, adversarial previews, runs and comparison.

import { Charts } from './ui/charts/Charts'
import { CompareSchedules } from './ui/config/CompareSchedules'
import { CompareTable } from './ui/runs/CompareTable'
import { ConfigPanel } from './ui/config/ConfigPanel'
import { EpsCurveEditor } from './ui/schedule/EpsCurveEditor'
import { Header } from './ui/header/Header'
import { LiveStatus } from './ui/runs/LiveStatus'
import { Notices } from './ui/header/Notices'
import { PanelBoundary } from './ui/shared/PanelBoundary'
import { Previews } from './ui/previews/Previews'
import { RunControls } from './ui/config/RunControls'
import { RunList } from './ui/runs/RunList'
import { ScheduleEditor } from './ui/schedule/ScheduleEditor'

export function App() {
  return (
    <div className="app">
      <Header />
      <Notices />
      <main className="layout">
        <aside className="col-setup">
          <PanelBoundary name="schedule">
            <ScheduleEditor />
          </PanelBoundary>
          <PanelBoundary name="ε curve">
            <EpsCurveEditor />
          </PanelBoundary>
          <RunControls />
          <CompareSchedules />
          <PanelBoundary name="configuration">
            <ConfigPanel />
          </PanelBoundary>
        </aside>
        <div className="col-results">
          <LiveStatus />
          <PanelBoundary name="charts">
            <Charts />
          </PanelBoundary>
          <PanelBoundary name="examples">
            <Previews />
          </PanelBoundary>
          <PanelBoundary name="runs">
            <RunList />
            <CompareTable />
          </PanelBoundary>
        </div>
      </main>
      <footer className="app-footer">
        Pretrained ResNets: Yerlan Idelbayev, <em>pytorch_resnet_cifar10</em> (BSD-2-Clause). Data: CIFAR-10, Krizhevsky 2009. Training runs in a Web Worker with TensorFlow.js; everything stays in
        this browser.
      </footer>
    </div>
  )
}
